"""The answering room: question analysis, passage and figure choice, the fitted model, the engine, and the answer
as plain text, JSON and an explanation — pure functions over small frozen records, no I/O but the model file."""

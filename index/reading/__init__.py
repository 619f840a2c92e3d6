"""The reading room: files in (sources; PDF and .docx in a limited child process: readers), their text cleaned into
titled articles (clean), tables into rows (tables), and each issue's series, number, date and period (issues)."""

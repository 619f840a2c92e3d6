"""Developer tools (training the figure chooser); the running bot never imports them."""

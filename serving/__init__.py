"""What holds the demo up in public: the limits every request meets before Gradio sees it (``serving.guard``)."""

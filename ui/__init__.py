"""Browser chat over the rag library (Gradio): streamed, cited answers and article upload."""

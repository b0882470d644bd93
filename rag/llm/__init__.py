"""LLM backends (llama.cpp in-process, any OpenAI-compatible server) and packaged models."""

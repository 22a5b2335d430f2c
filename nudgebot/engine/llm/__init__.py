"""The LLM reviewer: prompts, the answer schema, the client, and the reviewer that joins them."""

"""A local server that speaks the Gemini API (``POST /v1beta/models/{m}:generateContent``)."""

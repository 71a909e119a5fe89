"""The web chat widget's channel: sessions, turns over HTTP and WebSocket, static files."""

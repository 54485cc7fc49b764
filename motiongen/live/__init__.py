"""Live output: generated frames streamed to engines (Live Link Face, VMC), a browser, and recorded."""

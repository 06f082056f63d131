"""One widget per concept of the lesson. Widgets format numbers the engine computed."""

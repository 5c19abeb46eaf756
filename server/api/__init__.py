"""The district server's HTTP API: thin handlers over the library modules of server/."""

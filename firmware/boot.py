# Runs first on every boot, before main.py. The door node starts in main.py.

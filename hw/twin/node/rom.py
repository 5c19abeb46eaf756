# The twin's entry point (see bootrom.py); the REPL's namespace is this script's.
import sys, os
sys.path.insert(0, os.getenv("TWIN_NODE_DIR"))
if os.getenv("TWIN_MPY_DIR"):
    sys.path.insert(0, os.getenv("TWIN_MPY_DIR"))   # the same modules, compiled (node_modules.py)
import bootrom
bootrom.start(globals())

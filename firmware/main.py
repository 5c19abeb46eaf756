# The door node. See doornode/app.py.
import doornode.app

doornode.app.main()

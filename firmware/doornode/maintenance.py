"""The maintenance path on the node (USB now, the network later): installing card lists.

    # host: write the list to /cardlist.new (mpremote), then
    maintenance.install_card_list()     # -> (version, count); CardListError(reason) if refused

The list is checked against this node's own door key and installed version
(doornode.cardlist_store: verify in full, then one atomic rename); a refused list is
deleted and the list in force stays. Reaching the REPL stops the door loop; the host
restarts the node after an install (host_tools.card_command.install_card_list), and the
door loop opens the new list at boot.
"""
from doornode import cardlist_store, node_keys
from doornode.cardlist import CardListError

LIST_DIR = "/"


def install_card_list(directory=LIST_DIR):
    keys = node_keys.load()
    if keys is None:
        cardlist_store.discard_incoming(directory)
        raise CardListError("no keys", "this node has no /keys.json: install its keys first")
    header = cardlist_store.install(directory, keys.door_id, keys.door_key)
    return (header.version, header.count)


def installed():
    """(version, count) of the list in force, or None."""
    h = cardlist_store.installed_header(LIST_DIR)
    return None if h is None else (h.version, h.count)

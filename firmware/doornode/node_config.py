"""The node's own settings, /config.json on its flash (written by the image builder).

    cfg = load()
    cfg["node_id"], cfg["board"]
"""
import json

CONFIG_PATH = "/config.json"
DEFAULTS = {"node_id": "unprovisioned", "board": "esp32_devkitc", "door_id": None}


def load(path=CONFIG_PATH):
    cfg = dict(DEFAULTS)
    try:
        with open(path) as f:
            cfg.update(json.load(f))
    except OSError:
        pass          # an unprovisioned node still boots and says so
    except ValueError:
        cfg["config_error"] = "config.json is not valid JSON"
    return cfg

"""What is soldered on the twin's board: the pins, the SPI bus and its devices.

Shared by the node (MicroPython, to build the models) and the launcher
(CPython, to know the names of the inputs and outputs the bench drives and
reads). The pin numbers follow the ESP32 DevKitC wiring in hw/wiring.md, so the
twin is wired like a door node on the wall.
"""

# Inputs the bench drives: name -> (GPIO, level when the input is "active").
# Contacts switch to GND; pins 34/35 are input-only and have external pull-ups.
INPUTS = {
    "door_contact": (27, 1),   # reed switch closed (0) while the door is shut; open door -> 1
    "exit_button": (32, 0),    # push button to GND
    "fire_alarm": (34, 0),     # fire panel relay contact closes to GND on alarm
    "tamper": (35, 1),         # tamper switch held closed by the cover; cover off -> 1
}

# Level an input pin has when the bench does not drive it: a resting contact.
INPUT_REST = {27: 0, 32: 1, 34: 1, 35: 0}

# External pull resistors on the board (GPIO -> level when nothing drives it).
EXTERNAL_PULL = {34: 1, 35: 1}

# Outputs the bench records on its timeline: name -> GPIO (active high).
OUTPUTS = {
    "relay": 26,
    "led_green": 25,
    "led_red": 33,
    "buzzer": 14,
}

# The reader: MFRC522 on the VSPI pins.
SPI_SCK = 18
SPI_MOSI = 23
SPI_MISO = 19
READER_CS = 5
READER_RST = 22


def build_devices(machine_mod, world_mod):
    """Create the device models on the node and attach them to the bus (node side)."""
    try:
        from rc522 import MFRC522Chip
    except ImportError:
        return
    chip = MFRC522Chip(world_mod.emitter("reader"))
    machine_mod.attach_spi_device(chip, (SPI_SCK, SPI_MOSI, SPI_MISO), READER_CS, READER_RST)
    world_mod.add_device("reader", chip)

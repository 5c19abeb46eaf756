"""ESP32 DevKitC (ESP32-WROOM-32) door node: pins and bus construction; wiring in hw/wiring.md."""
from machine import Pin, SPI

SPI_BAUDRATE = 4000000        # MFRC522 allows up to 10 MHz (reference §1.1); 4 MHz on a short cable


class Board:
    name = "esp32_devkitc"

    def __init__(self):
        # Outputs, active high: relay via an NPN driver with flyback diode, LEDs via 330 R.
        self.relay = Pin(26, Pin.OUT, value=0)
        self.led_green = Pin(25, Pin.OUT, value=0)
        self.led_red = Pin(33, Pin.OUT, value=0)
        self.buzzer = Pin(14, Pin.OUT, value=0)
        # Inputs: name -> (pin, level when active). Contacts switch to GND.
        self.inputs = {
            "door_contact": (Pin(27, Pin.IN, Pin.PULL_UP), 1),   # reed closed while shut
            "exit_button": (Pin(32, Pin.IN, Pin.PULL_UP), 0),    # push to GND
            "fire_alarm": (Pin(34, Pin.IN), 0),   # input-only pin, 10k external pull-up; panel closes to GND
            "tamper": (Pin(35, Pin.IN), 1),       # input-only pin, 10k external pull-up; switch held closed by the cover
        }

    def reader_bus(self):
        """(spi, cs, rst) for the MFRC522 on VSPI, SPI mode 0."""
        spi = SPI(2, baudrate=SPI_BAUDRATE, polarity=0, phase=0, sck=Pin(18), mosi=Pin(23), miso=Pin(19))
        return spi, Pin(5, Pin.OUT, value=1), Pin(22, Pin.OUT, value=1)

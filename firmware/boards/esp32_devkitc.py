"""ESP32 DevKitC (ESP32-WROOM-32) door node; wiring in hw/wiring.md."""
from machine import Pin, SPI

SPI_BAUDRATE = 4000000


class Board:
    name = "esp32_devkitc"

    def __init__(self):
        self.relay = Pin(26, Pin.OUT, value=0)
        self.led_green = Pin(25, Pin.OUT, value=0)
        self.led_red = Pin(33, Pin.OUT, value=0)
        self.buzzer = Pin(14, Pin.OUT, value=0)
        self.door_contact = Pin(27, Pin.IN, Pin.PULL_UP)
        self.exit_button = Pin(32, Pin.IN, Pin.PULL_UP)
        self.fire_alarm = Pin(34, Pin.IN)      # input-only pin: 10k external pull-up
        self.tamper = Pin(35, Pin.IN)          # input-only pin: 10k external pull-up

    def reader_bus(self):
        """(spi, cs, rst) for the MFRC522 on VSPI."""
        spi = SPI(2, baudrate=SPI_BAUDRATE, polarity=0, phase=0, sck=Pin(18), mosi=Pin(23), miso=Pin(19))
        return spi, Pin(5, Pin.OUT, value=1), Pin(22, Pin.OUT, value=1)

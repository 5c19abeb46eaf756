"""`time` for the twin: the C module's ticks, plus wall time from the node's RTC.

As on the ESP32: the epoch is 2000-01-01, time() follows machine.RTC (which
starts at the epoch on power-up and may drift), gmtime/localtime return
8-tuples, there is no time zone. Sleeps keep applying bench actions.
"""
import sys

_saved_path = sys.path[:]
sys.path[:] = []
from time import ticks_ms, ticks_us, ticks_cpu, ticks_add, ticks_diff  # noqa: re-exported
import time as _ctime
sys.path[:] = _saved_path
del _saved_path

import machine
import world


def time():
    return machine.rtc_ns() // 1000000000


def time_ns():
    return machine.rtc_ns()


def sleep_ms(ms):
    world.wait(int(ms))


def sleep_us(us):
    if us >= 2000:
        world.wait(us // 1000)
    else:
        world.advance_devices(us)
        _ctime.sleep_us(us)


def sleep(s):
    world.wait(int(s * 1000))


def _days_from_civil(y, m, d):
    # Days since 2000-01-01 (proleptic Gregorian), valid for every year >= 0.
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 730425


def gmtime(secs=None):
    if secs is None:
        secs = time()
    secs = int(secs)
    days, rem = divmod(secs, 86400)
    z = days + 730425
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    y = yoe + era * 400 + (m <= 2)
    yday = days - _days_from_civil(y, 1, 1) + 1
    wday = (days + 5) % 7          # 2000-01-01 was a Saturday; Monday is 0
    return (y, m, d, rem // 3600, rem // 60 % 60, rem % 60, wday, yday)


localtime = gmtime


def mktime(t):
    return _days_from_civil(t[0], t[1], t[2]) * 86400 + t[3] * 3600 + t[4] * 60 + t[5]

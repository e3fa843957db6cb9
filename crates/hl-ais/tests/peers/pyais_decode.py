"""Decode an NMEA file with pyais and print one JSON object per message, with pyais's names
and notations mapped onto gpsd's JSON ones (the test oracle for the differential test)."""
import enum
import json
import sys

from pyais.stream import FileReaderStream


def plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return value


RENAMES = {"msg_type": "type", "ship_type": "shiptype", "station_type": "stationtype"}
TURN_WORDS = {-128: "nan", -127: "fastleft", 127: "fastright"}


def gpsd_names(fields):
    out = {RENAMES.get(k, k): plain(v) for k, v in fields.items()}
    kind = out.get("type")
    if kind in (4, 11):
        out["timestamp"] = "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(
            out.pop(k) for k in ("year", "month", "day", "hour", "minute", "second"))
    if kind == 5:
        out["eta"] = "%02d-%02dT%02d:%02dZ" % tuple(out.pop(k) for k in ("month", "day", "hour", "minute"))
    if kind == 21 and "full_name" in out:
        out["name"] = out.pop("full_name")
    if kind in (1, 2, 3) and isinstance(out.get("turn"), (int, float)):
        out["turn"] = TURN_WORDS.get(int(out["turn"]), out["turn"])
    if "data" in out:
        out["data_hex"] = out.pop("data")
    return out


def main(path):
    out = sys.stdout
    for nmea in FileReaderStream(path):
        try:
            fields = nmea.decode().asdict()
        except Exception as err:  # a decode failure is reported, not fatal
            out.write(json.dumps({"error": str(err)}) + "\n")
            continue
        out.write(json.dumps(gpsd_names(fields)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])

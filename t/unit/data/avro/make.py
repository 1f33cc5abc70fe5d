#!/usr/bin/python3
#
# Regenerates the Avro known-answer files of t/unit/test_avro.c with
# Debian's python3-avro: NAME.avsc (schema), NAME.json (plain JSON),
# NAME.bin (the raw binary datum).  Run from any directory.

import io
import json
import os

import avro.io
import avro.schema

HERE = os.path.dirname(os.path.abspath(__file__))

DEMO = {
    "type": "record", "name": "DemoEvent", "namespace": "io.strm.demo",
    "fields": [
        {"name": "strmMeta", "type": {
            "type": "record", "name": "StrmMeta", "fields": [
                {"name": "eventContractRef", "type": "string"},
                {"name": "nonce", "type": ["null", "int"], "default": None},
                {"name": "timestamp", "type": ["null", "long"],
                 "default": None},
                {"name": "keyLink", "type": ["null", "string"],
                 "default": None},
                {"name": "billingId", "type": ["null", "string"],
                 "default": None},
                {"name": "consentLevels",
                 "type": {"type": "array", "items": "int"}}]}},
        {"name": "uniqueIdentifier", "type": ["null", "string"],
         "default": None},
        {"name": "consistentValue", "type": "string"},
        {"name": "someSensitiveValue", "type": ["null", "string"],
         "default": None},
        {"name": "notSensitiveValue", "type": ["null", "string"],
         "default": None}]}

CLICK = {
    "type": "record", "name": "ClickEvent", "namespace": "io.strm.click",
    "fields": [
        {"name": "sessionCount", "type": "int"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "customer", "type": {
            "type": "record", "name": "Customer",
            "fields": [{"name": "id", "type": "string"}]}},
        {"name": "referrer", "type": ["null", "Customer"],
         "default": None},
        {"name": "kind", "type": {"type": "enum", "name": "Kind",
                                  "symbols": ["VIEW", "CLICK", "BUY"]}},
        {"name": "props", "type": {"type": "map", "values": "long"}},
        {"name": "score", "type": "double"},
        {"name": "ok", "type": "boolean"},
        {"name": "raw", "type": "bytes"}]}

DATA = [
    ("demo1", DEMO, {
        "strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0",
                     "nonce": -42, "timestamp": 1700000000123,
                     "keyLink": "7f2c", "billingId": None,
                     "consentLevels": [0, 1, 2]},
        "uniqueIdentifier": "user-\u00e9\u4e2d", "consistentValue": "c",
        "someSensitiveValue": None, "notSensitiveValue": "n"}),
    ("demo2", DEMO, {
        "strmMeta": {"eventContractRef": "x", "nonce": None,
                     "timestamp": None, "keyLink": None, "billingId": "b",
                     "consentLevels": []},
        "uniqueIdentifier": None, "consistentValue": "",
        "someSensitiveValue": "s", "notSensitiveValue": None}),
    ("click1", CLICK, {
        "sessionCount": 2147483647, "tags": ["a", "bb", ""],
        "customer": {"id": "c-1"}, "referrer": {"id": "r-9"},
        "kind": "BUY", "props": {"x": -1, "y": 300},
        "score": 0.5, "ok": True, "raw": "\u0000\u00ff\u0041"}),
]


def main():
    for name, schema, datum in DATA:
        text = json.dumps(schema, indent=1)
        with open(os.path.join(HERE, name + ".avsc"), "w") as f:
            f.write(text + "\n")
        parsed = avro.schema.parse(text)
        out = io.BytesIO()
        rec = dict(datum)
        if "raw" in rec:
            rec["raw"] = rec["raw"].encode("latin-1")
        avro.io.DatumWriter(parsed).write(rec, avro.io.BinaryEncoder(out))
        with open(os.path.join(HERE, name + ".bin"), "wb") as f:
            f.write(out.getvalue())
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            f.write(json.dumps(datum, ensure_ascii=False) + "\n")


main()

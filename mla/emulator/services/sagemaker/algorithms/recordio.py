"""RecordIO-protobuf, the ``application/x-recordio-protobuf`` format of SageMaker's first-party algorithms,
read without MXNet: RecordIO framing (magic ``0xced7230a``, a length word, the payload padded
to 4 bytes) around ``aialgs.data.Record`` protobuf messages with dense float32 ``values`` features and label.
Format as in https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html; the message is decoded with
protobuf's generic wire reader so no generated code is needed.
"""

from __future__ import annotations

import struct

import numpy as np

MAGIC = 0xCED7230A


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes):
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 2:
            size, pos = _varint(data, pos)
            yield number, data[pos:pos + size]
            pos += size
        elif wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 5:
            yield number, data[pos:pos + 4]
            pos += 4
        elif wire == 1:
            yield number, data[pos:pos + 8]
            pos += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _tensor_values(value_msg: bytes) -> np.ndarray:
    # Value { Float32Tensor float32_tensor = 2; ... }; Float32Tensor { repeated float values = 1 [packed]; }
    for number, tensor in _fields(value_msg):
        if number == 2:
            for inner, packed in _fields(tensor):
                if inner == 1:
                    return np.frombuffer(packed, dtype="<f4")
    return np.zeros(0, dtype="<f4")


def _map_entry(entry: bytes) -> tuple[str, np.ndarray]:
    key, value = "", np.zeros(0, dtype="<f4")
    for number, payload in _fields(entry):
        if number == 1:
            key = payload.decode()
        elif number == 2:
            value = _tensor_values(payload)
    return key, value


def read_records(blob: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """Features (rows × columns) and labels (None when records carry none) of a RecordIO-protobuf file."""
    rows, labels, pos = [], [], 0
    while pos + 8 <= len(blob):
        magic, length = struct.unpack_from("<II", blob, pos)
        if magic != MAGIC:
            raise ValueError("not a RecordIO-protobuf file (bad magic number)")
        length &= (1 << 29) - 1
        record = blob[pos + 8:pos + 8 + length]
        pos += 8 + length + (-length % 4)
        for number, entry in _fields(record):  # Record { map<string, Value> features = 1; label = 2; }
            key, values = _map_entry(entry)
            if number == 1 and key == "values":
                rows.append(values)
            elif number == 2 and key == "values":
                labels.append(values[0] if len(values) else np.nan)
    features = np.vstack(rows).astype(np.float64) if rows else np.zeros((0, 0))
    return features, (np.asarray(labels, dtype=np.float64) if labels else None)

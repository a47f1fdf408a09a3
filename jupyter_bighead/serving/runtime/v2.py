"""The Open Inference Protocol v2 on the wire: datatypes, the binary tensor extension,
requested outputs, and the gzip/deflate request bodies real clients send.

Pure functions over bytes, with no tornado, so the server can run them off the event
loop. A malformed request raises :class:`~.schema.RequestError` (a 4xx naming the
tensor); nothing here lets a bad tensor become a 500.

The binary tensor extension (what ``tritonclient`` and the ``kserve`` SDK send by
default): the body is a JSON header of ``Inference-Header-Content-Length`` bytes followed
by the raw tensors, in input order; a tensor whose ``parameters.binary_data_size`` is set
takes that many bytes, little-endian, row-major, ``BYTES`` elements each prefixed by a
4-byte little-endian length. Responses use the same layout for the outputs a client asks
for in binary (``outputs[i].parameters.binary_data`` or the request-level
``parameters.binary_data_output``).
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .schema import RequestError, tensor_shape

#: The header naming the length of the JSON part of a binary request or response.
HEADER_LENGTH = "Inference-Header-Content-Length"

#: The protocol extensions ``GET /v2`` announces.
EXTENSIONS = ("binary_tensor_data",)

#: v2 datatype → (numpy dtype of its binary form, kind). ``BYTES`` has no fixed size.
DATATYPES: dict[str, tuple[str, str]] = {
    "BOOL": ("|b1", "bool"),
    "UINT8": ("<u1", "uint"), "UINT16": ("<u2", "uint"), "UINT32": ("<u4", "uint"),
    "UINT64": ("<u8", "uint"),
    "INT8": ("<i1", "int"), "INT16": ("<i2", "int"), "INT32": ("<i4", "int"),
    "INT64": ("<i8", "int"),
    "FP16": ("<f2", "float"), "FP32": ("<f4", "float"), "FP64": ("<f8", "float"),
    "BYTES": ("", "bytes"),
}

_FLOAT_MAX = {"FP16": 65504.0, "FP32": 3.4028234663852886e38, "FP64": math.inf}

#: Content-Encoding values a request body may carry.
ENCODINGS = ("identity", "gzip", "x-gzip", "deflate")

#: The most gzip members (concatenated gzip streams) a request body may hold; more is a
#: 400. bgzip-style bodies use one member per 64 KiB, so this leaves room for any body
#: under the size limit that a real compressor writes.
MAX_GZIP_MEMBERS = 4096
_FIRST_PIECE = 256
_LARGEST_PIECE = 1 << 20


def _int_range(datatype: str) -> tuple[int, int]:
    bits = int(datatype.lstrip("UINT"))
    if datatype.startswith("U"):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


@dataclass(frozen=True)
class Tensor:
    """One input tensor, its elements flattened in row-major order."""

    name: str
    shape: tuple[int, ...]
    datatype: str
    data: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "datatype": self.datatype,
                "data": self.data}


@dataclass(frozen=True)
class InferRequest:
    """A checked v2 inference request.

    ``outputs`` lists the requested output names, each with its own ``binary_data``
    flag (``None``: not set, so ``binary_output`` decides); ``outputs`` itself is
    ``None`` when the request names none: then every output the model has.
    """

    id: str | None
    inputs: tuple[Tensor, ...]
    outputs: tuple[tuple[str, bool | None], ...] | None
    binary_output: bool

    def wanted(self, available: Sequence[str]) -> list[tuple[str, bool]]:
        """The outputs to send, in order, with their binary flag.

        Raises ``RequestError`` (400 ``unknown_output``) for a name the model lacks.
        """
        if self.outputs is None:
            return [(name, self.binary_output) for name in available]
        unknown = [name for name, _b in self.outputs if name not in available]
        if unknown:
            shown = ", ".join(repr(n[:60]) for n in unknown[:5])
            raise RequestError("unknown_output",
                               f"unknown outputs: {shown}; the model has "
                               f"{', '.join(map(repr, available))}",
                               field="outputs", outputs=list(available))
        return [(name, self.binary_output if binary is None else binary)
                for name, binary in self.outputs]


# ---- request bodies ------------------------------------------------------------------
def decode_body(body: bytes, encoding: str | None, limit: int) -> bytes:
    """``body`` with its ``Content-Encoding`` undone, never more than ``limit`` bytes.

    Raises ``RequestError``: 415 for an encoding other than gzip/deflate/identity, 413
    when the decompressed body is over ``limit`` (found without inflating more than
    ``limit + 1`` bytes), 400 for a corrupt or truncated stream.
    """
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        return body
    if coding not in ENCODINGS:
        raise unsupported_encoding(encoding or "")
    view = memoryview(body)
    out: list[bytes] = []
    size = pos = members = 0
    while True:  # a gzip body may hold several members, one after the other
        if members == MAX_GZIP_MEMBERS:
            raise RequestError("invalid_body", f"the {coding} body holds more than "
                               f"{MAX_GZIP_MEMBERS} members", field="body")
        members += 1
        inflater = zlib.decompressobj(47 if coding != "deflate" else zlib.MAX_WBITS)
        # Fed in pieces that start small and double: zlib copies whatever follows a
        # member's end into ``unused_data``, so handing it the whole rest of the body
        # made many tiny members cost quadratic time; now each member costs its own
        # size plus at most twice that (or _FIRST_PIECE) in copying.
        piece = _FIRST_PIECE
        while not inflater.eof:
            if pos >= len(view):
                raise RequestError("invalid_body", f"the {coding} body is truncated",
                                   field="body")
            fed = view[pos:pos + piece]
            try:
                chunk = inflater.decompress(fed, limit + 1 - size)
            except zlib.error as exc:
                raise RequestError("invalid_body", f"the {coding} body is corrupt: {exc}",
                                   field="body") from None
            size += len(chunk)
            out.append(chunk)
            if size > limit or inflater.unconsumed_tail:
                raise too_big(limit, after=coding)
            pos += len(fed) - len(inflater.unused_data)
            piece = min(piece * 2, _LARGEST_PIECE)
        if pos >= len(view) or coding == "deflate":
            break
    return b"".join(out)


def unsupported_encoding(encoding: str) -> RequestError:
    shown = encoding[:40] + ("…" if len(encoding) > 40 else "")
    return RequestError("unsupported_encoding",
                        f"Content-Encoding {shown!r} is not supported; send the body plain, "
                        "gzip or deflate", status=415, field="Content-Encoding")


def too_big(limit: int, after: str | None = None) -> RequestError:
    how = f" once {after}-decompressed" if after else ""
    return RequestError("body_too_large", f"the body is over the {limit}-byte limit{how}",
                        status=413, field="body")


def load_json(raw: bytes) -> dict[str, Any]:
    """A JSON object from ``raw``; ``RequestError`` (400) for anything else."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RequestError("invalid_json", f"the body is not valid JSON: {str(exc)[:200]}",
                           field="body") from None
    if not isinstance(data, dict):
        raise RequestError("invalid_request", "the body must be a JSON object", field="body")
    return data


def parse_request(body: bytes, header_length: str | None) -> InferRequest:
    """A v2 inference request from its (decompressed) body.

    ``header_length`` is the ``Inference-Header-Content-Length`` header, if any: the JSON
    part is that many bytes and the binary tensors follow it.

    Raises ``RequestError`` (400) naming the tensor: an unknown datatype, a shape that is
    not a list of non-negative integers or whose product is not the data count, values
    that do not fit the datatype, binary sizes that do not add up, malformed outputs.
    """
    if header_length is None:
        head, binary = body, b""
    else:
        text = header_length.strip()
        # ASCII digits only: '²'.isdigit() is true, and int('²') a ValueError (a 500).
        n = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else -1
        if n < 0 or n > len(body):
            raise RequestError("invalid_request", f"{HEADER_LENGTH} must be a byte count "
                               f"within the body ({len(body)} bytes), got {text[:40]!r}",
                               field=HEADER_LENGTH)
        head, binary = body[:n], body[n:]
    doc = load_json(head)
    request_id = doc.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise RequestError("invalid_request", "'id' must be a string", field="id")
    params = _parameters(doc.get("parameters"), "parameters")
    binary_output = params.get("binary_data_output", False)
    if not isinstance(binary_output, bool):
        raise RequestError("invalid_request", "'parameters.binary_data_output' must be true "
                           "or false", field="parameters")
    inputs = doc.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestError("empty_instances", "'inputs' must be a non-empty list of tensors",
                           field="inputs")
    tensors = []
    seen: set[str] = set()
    offset = 0
    for i, raw in enumerate(inputs):
        tensor, used = _tensor(raw, i, binary, offset)
        if tensor.name in seen:  # else the last one would silently win
            raise RequestError("duplicate_input", f"input tensor {tensor.name!r} is given "
                               "more than once", field=tensor.name)
        seen.add(tensor.name)
        tensors.append(tensor)
        offset += used
    if offset != len(binary):
        raise RequestError("invalid_request", f"the body carries {len(binary)} bytes of "
                           f"binary tensor data, the inputs' binary_data_size add up to "
                           f"{offset}", field=HEADER_LENGTH)
    return InferRequest(request_id, tuple(tensors), _outputs(doc.get("outputs")),
                        binary_output)


def _parameters(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestError("invalid_request", f"'{where}' must be an object", field=where)
    return value


def _outputs(value: Any) -> tuple[tuple[str, bool | None], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise RequestError("invalid_request", "'outputs' must be a list of {\"name\": ...}",
                           field="outputs")
    out: list[tuple[str, bool | None]] = []
    names: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise RequestError("invalid_request", "every requested output needs a 'name'",
                               field="outputs")
        binary = _parameters(item.get("parameters"), "outputs.parameters").get("binary_data")
        if binary is not None and not isinstance(binary, bool):
            raise RequestError("invalid_request", f"output {item['name']!r}: 'binary_data' "
                               "must be true or false", field=item["name"])
        if item["name"] in names:
            # Each would be sent again: a small request could ask for a huge response.
            raise RequestError("duplicate_output", f"output {item['name']!r} is requested "
                               "more than once", field="outputs")
        names.add(item["name"])
        out.append((item["name"], binary))
    return tuple(out) if out else None


def _tensor(raw: Any, i: int, binary: bytes, offset: int) -> tuple[Tensor, int]:
    """One input tensor, and how many bytes of the binary section it took."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise RequestError("invalid_request", f"input {i} needs a 'name'", field="inputs")
    name = raw["name"]
    datatype = raw.get("datatype")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        shown = datatype[:20] if isinstance(datatype, str) else datatype
        raise RequestError("invalid_datatype", f"tensor {name!r}: unknown datatype "
                           f"{shown!r}; one of {', '.join(DATATYPES)}", field=name)
    shape = tensor_shape(raw)
    if shape is None:
        raise RequestError("wrong_shape", f"tensor {name!r} needs a 'shape'", field=name)
    count = math.prod(shape)
    size = _parameters(raw.get("parameters"), f"{name}.parameters").get("binary_data_size")
    if size is not None:
        if "data" in raw:
            raise RequestError("invalid_request", f"tensor {name!r} has both 'data' and "
                               "binary_data_size", field=name)
        if type(size) is not int or size < 0 or offset + size > len(binary):
            raise RequestError("invalid_request", f"tensor {name!r}: binary_data_size "
                               f"{str(size)[:20]} does not fit the {len(binary) - offset} "
                               "binary bytes left", field=name)
        data = _from_binary(name, datatype, count, binary[offset:offset + size])
        return Tensor(name, tuple(shape), datatype, data), size
    if "data" not in raw:
        raise RequestError("invalid_request", f"tensor {name!r} needs 'data' or "
                           "parameters.binary_data_size", field=name)
    data = _flatten(raw["data"], name)
    if len(data) != count:
        raise RequestError("wrong_shape", f"tensor {name!r}: shape {shape} holds {count} "
                           f"values, 'data' has {len(data)}", field=name)
    _check_values(name, datatype, data)
    return Tensor(name, tuple(shape), datatype, data), 0


def _flatten(data: Any, name: str) -> list[Any]:
    if not isinstance(data, list):
        return [data]  # a scalar tensor
    if not any(isinstance(v, list) for v in data):
        return data
    out: list[Any] = []
    stack = [iter(data)]
    while stack:
        for value in stack[-1]:
            if isinstance(value, list):
                stack.append(iter(value))
                break
            out.append(value)
        else:
            stack.pop()
    return out


def _check_values(name: str, datatype: str, data: list[Any]) -> None:
    """Each JSON value fits ``datatype`` (a float in an INT tensor, a string in an FP
    tensor, an out-of-range integer... are 400s). ``true``/``false`` pass in a numeric
    tensor (numpy reads them as 1 and 0); the model's column checker decides on them."""
    kind = DATATYPES[datatype][1]

    def bad(j: int, why: str) -> RequestError:
        return RequestError("wrong_type", f"tensor {name!r} ({datatype}), element {j}: {why}",
                            field=name)

    if kind == "float":
        top = _FLOAT_MAX[datatype]
        for j, v in enumerate(data):
            t = type(v)
            if t is float:
                if abs(v) > top and not math.isinf(v):
                    raise bad(j, f"{v!r} is out of range")
            elif t is int:
                if abs(v) > min(top, 2.0**1023):
                    raise bad(j, "the number is out of range")
            elif v is not None and t is not bool:  # null: a missing value, as in v1
                raise bad(j, f"expected a number, got {t.__name__}")
    elif kind in ("int", "uint"):
        low, high = _int_range(datatype)
        for j, v in enumerate(data):
            t = type(v)
            if t is bool:
                continue
            if t is float and v.is_integer():
                v = int(v)
            elif t is not int:
                raise bad(j, f"expected an integer, got {v!r}"[:120])
            if not low <= v <= high:
                raise bad(j, f"{v} is out of range")
            data[j] = v
    elif kind == "bool":
        for j, v in enumerate(data):
            if type(v) is not bool:
                raise bad(j, f"expected true or false, got {type(v).__name__}")
    else:
        for j, v in enumerate(data):
            if type(v) is not str:
                raise bad(j, f"expected a string, got {type(v).__name__}")


def _from_binary(name: str, datatype: str, count: int, raw: bytes) -> list[Any]:
    if datatype == "BYTES":
        return _unpack_bytes(name, count, raw)
    import numpy as np

    dtype = np.dtype(DATATYPES[datatype][0])
    if len(raw) != count * dtype.itemsize:
        raise RequestError("wrong_shape", f"tensor {name!r}: {count} {datatype} values take "
                           f"{count * dtype.itemsize} bytes, binary_data_size is {len(raw)}",
                           field=name)
    if datatype == "BOOL":
        return [b != 0 for b in raw]
    values: list[Any] = np.frombuffer(raw, dtype=dtype).tolist()
    return values


def _unpack_bytes(name: str, count: int, raw: bytes) -> list[Any]:
    out: list[Any] = []
    pos = 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise RequestError("wrong_shape", f"tensor {name!r}: truncated BYTES element",
                               field=name)
        (n,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        if pos + n > len(raw):
            raise RequestError("wrong_shape", f"tensor {name!r}: truncated BYTES element",
                               field=name)
        try:
            out.append(raw[pos:pos + n].decode("utf-8"))
        except UnicodeDecodeError:
            raise RequestError("wrong_type", f"tensor {name!r}: element {len(out)} is not "
                               "UTF-8 text", field=name) from None
        pos += n
    if len(out) != count:
        raise RequestError("wrong_shape", f"tensor {name!r}: the shape holds {count} values, "
                           f"the binary data has {len(out)}", field=name)
    return out


# ---- responses -----------------------------------------------------------------------
def output_datatype(values: Sequence[Any]) -> str:
    """The v2 datatype of a list of predictions (FP64 for numbers, as batch scoring gives)."""
    first = values[0] if values else 0.0
    if isinstance(first, bool):
        return "BOOL"
    if isinstance(first, int):
        return "INT64"
    return "FP64" if isinstance(first, float) else "BYTES"


def encode_response(head: dict[str, Any], outputs: Sequence[tuple[dict[str, Any], list[Any],
                                                                   bool]]) -> tuple[bytes,
                                                                                    int | None]:
    """The response body and, when some output is binary, the JSON part's length (for
    ``Inference-Header-Content-Length``).

    ``head`` holds ``model_name``, ``model_version``, ``id``...; each output is its
    ``{"name", "datatype", "shape"}``, its flat values, and whether to send it binary.
    """
    described: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for meta, values, binary in outputs:
        if binary:
            blob = _to_binary(meta["datatype"], values)
            blobs.append(blob)
            described.append({**meta, "parameters": {"binary_data_size": len(blob)}})
        else:
            described.append({**meta, "data": values})
    text = json.dumps({**head, "outputs": described}).encode()
    if not blobs:
        return text, None
    return b"".join([text, *blobs]), len(text)


def _to_binary(datatype: str, values: list[Any]) -> bytes:
    if datatype == "BYTES":
        parts = []
        for v in values:
            b = v if isinstance(v, bytes) else str(v).encode()
            parts.append(struct.pack("<I", len(b)) + b)
        return b"".join(parts)
    import numpy as np

    return np.asarray(values, dtype=np.dtype(DATATYPES[datatype][0])).tobytes()

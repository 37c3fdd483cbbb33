"""Data files at their limits: a .npz is judged from its zip directory and its arrays' headers
before anything is unpacked, a CSV is read a piece at a time, and every file that cannot be
used is one line with exit code 2, quickly, never a traceback."""

import io
import os
import struct
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from tutor.cli import main
from tutor.training import data


def _train_on(*paths):
    args = ["train", "--expr", "(w*x - y)^2", "--params", "w", "--epochs", "1", "--lang", "en"]
    for path in paths:
        args += ["--data", str(path)]
    return CliRunner().invoke(main, args)


def _one_line(r, words):
    assert r.exit_code == 2 and r.output.count("\n") == 1, r.output
    assert r.output.startswith("error: ") and words in r.output, r.output


def _npy(shape, descr="<f8", body=b""):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
    return header.getvalue() + body


def _patched(path, *, local: dict, central: dict):
    """The archive at ``path`` with fields of its first member's headers changed (offsets in
    the local header and in the central directory entry, as the zip format lays them out)."""
    raw = bytearray(path.read_bytes())
    at, entry = raw.find(b"PK\x03\x04"), raw.find(b"PK\x01\x02")
    for offset, (fmt, value) in local.items():
        struct.pack_into(fmt, raw, at + offset, value)
    for offset, (fmt, value) in central.items():
        struct.pack_into(fmt, raw, entry + offset, value)
    path.write_bytes(bytes(raw))


@pytest.fixture
def deflated(tmp_path):
    """A good archive of two compressed columns."""
    path = tmp_path / "good.npz"
    np.savez_compressed(path, x=np.arange(2000.0), y=2 * np.arange(2000.0))
    return path


def test_a_good_compressed_archive_is_read(deflated):
    arrays = data.read_npz(deflated)
    assert np.array_equal(arrays["y"], 2 * np.arange(2000.0))


def test_a_damaged_member_is_one_line(deflated):
    raw = bytearray(deflated.read_bytes())
    start = raw.find(b"PK\x03\x04") + 30 + len("x.npy")
    for k in range(start + 40, start + 200):  # inside the compressed stream
        raw[k] ^= 0x5A
    deflated.write_bytes(bytes(raw))
    _one_line(_train_on(deflated), "not a readable .npz archive (damaged)")


def test_an_unknown_compression_method_is_one_line(deflated):
    _patched(deflated, local={8: ("<H", 99)}, central={10: ("<H", 99)})
    _one_line(_train_on(deflated), "compressed by a method that cannot be read")


def test_an_encrypted_member_is_one_line(deflated):
    _patched(deflated, local={6: ("<H", 1)}, central={8: ("<H", 1)})
    _one_line(_train_on(deflated), "not a readable .npz archive (encrypted)")


def test_an_archive_of_a_hundred_thousand_members_is_refused_from_its_last_bytes(tmp_path):
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as z:
        for k in range(100_000):
            z.writestr(f"m{k}.npy", b"")
    _one_line(_train_on(path), "holds more than 1,000 arrays")


def test_arrays_that_are_not_numbers_are_refused_from_their_headers(tmp_path):
    cases = {
        # 1000 elements of 2 GB each: 2 TB claimed in a few bytes
        "void.npz": (_npy((1000,), "|V2000000000"), "is not numeric"),
        "complex.npz": (_npy((3,), "<c16", bytes(48)), "is not numeric (complex128)"),
        "text.npz": (_npy((3,), "<U10", bytes(120)), "is not numeric"),
        # a header that promises 1000 numbers over 80 bytes of data
        "short.npz": (_npy((1000,), "<f8", bytes(80)), "shorter than its header says"),
        # long doubles are numbers, but 16 bytes each: 6,000,000 of them are over 80 MB
        "wide.npz": (_npy((6_000_000,), "<f16"), "more than 10,000,000 values"),
    }
    for name, (member, words) in cases.items():
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            z.writestr("x.npy", member)
        _one_line(_train_on(tmp_path / name), words)


def test_a_data_file_that_is_a_pipe_is_refused_not_waited_for(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("this system has no named pipes")
    pipe = tmp_path / "stream.csv"
    os.mkfifo(pipe)
    _one_line(_train_on(pipe), "is not a regular file")


def test_a_file_name_too_long_for_the_system_is_one_line():
    _one_line(_train_on("d" * 300 + ".csv"), "cannot be read (File name too long)")


def test_a_csv_with_a_nul_byte_is_one_line(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"x,y\n1,2\n3\x00,4\n")
    _one_line(_train_on(path), "line 3 holds a NUL byte")


def test_a_long_csv_is_read_whole_and_exactly(tmp_path):
    """Over a hundred pieces of reading: every value comes back as written (blank lines,
    Windows line ends and spaces around the numbers allowed)."""
    rng = np.random.default_rng(4)
    values = rng.normal(size=(120_000, 2)) * 10.0 ** rng.integers(-5, 5, size=(120_000, 2))
    lines = ["x,y"]
    for k, (a, b) in enumerate(values):
        lines.append(f"{float(a)!r}, {float(b)!r}" if k % 3 else f"{float(a)!r},{float(b)!r}")
        if k % 1000 == 0:
            lines.append("")
    path = tmp_path / "long.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-8") + b"\r\n")
    assert path.stat().st_size > 4 * data.CHUNK
    arrays = data.read_csv(path)
    assert np.array_equal(arrays["x"], values[:, 0]) and np.array_equal(arrays["y"], values[:, 1])


@pytest.mark.parametrize("row,words", [
    (150_000, "line {line}, column 'y': 'abc' is not a number"),
    (99_999, "line {line} has 1 values, the header has 2 (a ragged file)"),
    (123_456, "line {line}, column 'y': 'nan' is not a finite number"),
])
def test_a_mistake_deep_in_a_long_csv_names_its_line(tmp_path, row, words):
    bad = {150_000: "1,abc", 99_999: "1", 123_456: "1,nan"}[row]
    lines = ["x,y"] + ["1.5,2.5"] * 200_000
    lines[row] = bad  # line row + 1 of the file (the header is line 1)
    path = tmp_path / "deep.csv"
    path.write_text("\n".join(lines) + "\n")
    _one_line(_train_on(path), words.format(line=row + 1))

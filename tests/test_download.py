import hashlib

import pytest

from dlvision.data import ChecksumError, DataNotFoundError, download


@pytest.fixture
def served(tmp_path):
    source = tmp_path / "served.bin"
    source.write_bytes(b"\x00\x01course data" * 1000)
    return source


def test_download_verifies_and_writes_the_file(served, tmp_path):
    digest = hashlib.sha256(served.read_bytes()).hexdigest()
    dest = download(served.as_uri(), tmp_path / "out" / "data.bin", sha256=digest, progress=False)
    assert dest.read_bytes() == served.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["data.bin"]


def test_corrupt_download_fails_its_checksum_and_leaves_nothing(served, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ChecksumError, match="expected 0000"):
        download(served.as_uri(), out / "data.bin", sha256="0" * 64, progress=False)
    assert list(out.iterdir()) == []


def test_rejected_contents_leave_nothing(served, tmp_path):
    def reject(path):
        raise ValueError("wrong contents")

    with pytest.raises(ValueError, match="wrong contents"):
        download(served.as_uri(), tmp_path / "data.bin", validate=reject, progress=False)
    assert not any(p.name.startswith(".data.bin") or p.name == "data.bin"
                   for p in tmp_path.iterdir())


def test_unreachable_source_says_where_to_put_the_file(tmp_path):
    dest = tmp_path / "data.bin"
    with pytest.raises(DataNotFoundError, match=f"save it as {dest}"):
        download((tmp_path / "absent.bin").as_uri(), dest, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_not_downloaded_again(tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"already here")
    assert download("file:///nonexistent", dest, progress=False).read_bytes() == b"already here"

from openchirp.media import id3


def test_tag_round_trip_latin1_and_unicode() -> None:
    cover = b"\xff\xd8\xff\xe0fake-jpeg\x00\x00data\xff\xd9"
    tag = id3.build_tag(title="Snow ☃ Man", artist="Zoë", album="Album", cover_jpeg=cover)
    assert tag[:5] == b"ID3\x03\x00"
    frames = id3.read_tag(tag + b"\xff\xfb rest of the file")
    assert frames["TIT2"][0] == b"\x01" + "Snow ☃ Man".encode("utf-16")
    assert frames["TPE1"][0] == b"\x00" + "Zoë".encode("latin-1")
    assert frames["TALB"][0] == b"\x00Album"
    mime, picture_type, image = id3.apic_image(frames["APIC"][0])
    assert (mime, picture_type, image) == ("image/jpeg", 3, cover)


def test_tag_size_is_syncsafe_and_exact() -> None:
    cover = bytes(range(256)) * 1000  # > 127 * 128 bytes: all four size bytes are used
    tag = id3.build_tag(title="t", cover_jpeg=cover)
    size = 0
    for b in tag[6:10]:
        assert b < 0x80
        size = (size << 7) | b
    assert size == len(tag) - 10


def test_apic_with_utf16_description() -> None:
    body = id3.apic_frame(b"IMG\x00\x00BYTES", description="Обложка")[10:]
    assert id3.apic_image(body) == ("image/jpeg", 3, b"IMG\x00\x00BYTES")


def test_no_tag() -> None:
    assert id3.read_tag(b"\xff\xfb\x90\x00") == {}
    assert list(id3.read_tag(id3.build_tag())) == ["TSSE"]  # empty fields are left out

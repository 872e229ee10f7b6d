"""openchirp.client: make a song, wait for it, save its files. The server is $OPENCHIRP_URL
(default http://127.0.0.1:3000), the key $OPENCHIRP_API_KEY (none needed on loopback)."""

from openchirp.client import Client, InvalidRequest

with Client() as songs:
    clips = songs.create(
        "[Verse]\nStars they shine above me\nMoonlight softly glows",
        tags="synthwave, moody",
        title="Starry",
    )
    clips = songs.wait(clips, on_update=lambda cs: print(*(c.status for c in cs)))
    for path in songs.download(clips[0], "out", ["mp3", "wav", "cover"]):
        print("saved", path)

    # Continue the first clip from its middle: two new clips hold the new part, concat joins.
    middle = clips[0].duration / 2
    more = songs.wait(songs.extend(clips[0].id, middle, lyrics="[Chorus]\nStarry night"))
    whole = songs.wait([songs.concat(more[0].id)])[0]
    print(f"the whole song: {whole.duration:.1f} s at {whole.audio_url}")

    try:
        songs.create("[Verse]\nHello", tags="x" * 5000)
    except InvalidRequest as error:
        print(f"refused: {error.field}: {error.message}")
    print(songs.limits())

#!/bin/sh
# sunoapi.com v2: create a song, read its two clip ids from the task, download the first mp3.
# Needs curl and jq. Run it in the project folder while `make run` serves.
set -eu
BASE=${BASE:-http://127.0.0.1:3000}
KEY=${KEY:-$(cat data/owner-api-key)}   # the local owner's key, which `make run` printed

TASK=$(curl -sf "$BASE/api/v2/suno/v3.5/custom/create-lyrics-song" \
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"prompt": "[Verse]\nStars they shine above me", "tags": "synthwave", "title": "Starry"}' \
  | jq -r .data.task_id)

# The task answers "processing" until both clips are finished, then "completed".
for _ in $(seq 300); do
  STATUS=$(curl -sf "$BASE/api/v2/suno/v3.5/clip/$TASK" -H "Authorization: Bearer $KEY" \
    | jq -r .data.status)
  [ "$STATUS" = completed ] && break
  sleep 1
done
IDS=$(curl -sf "$BASE/api/v2/suno/v3.5/clip/$TASK" -H "Authorization: Bearer $KEY" \
  | jq -r '.data.clips | keys | join(",")')

curl -sf "$BASE/api/v2/suno/v3.5/clips?ids=$IDS" -H "Authorization: Bearer $KEY" \
  | jq -r '.clips[] | "\(.id) \(.status) \(.audio_url)"'
MP3=$(curl -sf "$BASE/api/v2/suno/v3.5/clips?ids=$IDS" -H "Authorization: Bearer $KEY" \
  | jq -r '.clips[0].audio_url')
curl -sf -o starry.mp3 "$MP3"
echo "saved starry.mp3"

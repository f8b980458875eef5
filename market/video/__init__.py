"""Our own live video (issue 18, docs/video.md): the media server client, publishing and playback, recording,
HLS and the replay's chapters."""

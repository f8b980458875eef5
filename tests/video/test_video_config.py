"""JANUS_URL and friends: video off by default, a wrong value stops the app naming the variable."""

import pytest

from market.config import ConfigError, load_config

KEY = {"SECRET_KEY": "x" * 20}
ON = {**KEY, "JANUS_URL": "http://127.0.0.1:8088/janus", "JANUS_API_SECRET": "a", "JANUS_ADMIN_SECRET": "b"}


def test_video_is_off_without_janus_url(tmp_path):
    cfg = load_config(tmp_path, env=KEY)
    assert cfg["JANUS_URLS"] == () and cfg["VIDEO_PUBLISH_TOKEN_MINUTES"] == 10


def test_several_media_servers(tmp_path):
    cfg = load_config(
        tmp_path,
        env={
            **ON,
            "JANUS_URL": "http://10.0.0.1:8088/janus/, http://10.0.0.2:8088/janus",
            "JANUS_ADMIN_URL": "http://10.0.0.1:7088/admin,http://10.0.0.2:7088/admin",
            "VIDEO_ICE_SERVERS": "stun:stun.example.org:3478",
        },
    )
    assert cfg["JANUS_URLS"] == ("http://10.0.0.1:8088/janus", "http://10.0.0.2:8088/janus")
    assert len(cfg["JANUS_ADMIN_URLS"]) == 2 and cfg["VIDEO_ICE_SERVERS"] == ("stun:stun.example.org:3478",)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({**ON, "JANUS_URL": "127.0.0.1:8088"}, "JANUS_URL"),
        ({**ON, "JANUS_API_SECRET": ""}, "JANUS_API_SECRET"),
        ({**ON, "JANUS_ADMIN_SECRET": ""}, "JANUS_ADMIN_SECRET"),
        ({**ON, "JANUS_ADMIN_URL": "http://a/admin,http://b/admin"}, "JANUS_ADMIN_URL"),
        ({**ON, "JANUS_TIMEOUT": "0"}, "JANUS_TIMEOUT"),
        ({**ON, "VIDEO_PUBLISH_TOKEN_MINUTES": "ten"}, "VIDEO_PUBLISH_TOKEN_MINUTES"),
        ({**ON, "VIDEO_ICE_SERVERS": "http://stun.example.org"}, "VIDEO_ICE_SERVERS"),
    ],
)
def test_wrong_values_name_the_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(tmp_path, env=env)

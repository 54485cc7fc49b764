"""Audio loading on the real BEAT / speech samples and on synthetic files written with soundfile."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from motiongen.core.errors import InputFileError
from motiongen.formats import audio
from motiongen.formats.audio import decode_audio, describe_audio, load_audio


def tone(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_frequency(wave: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.fft.rfftfreq(len(wave), 1 / rate)[np.argmax(spectrum)])


def test_real_24_bit_beat_wav(sample_file):
    path = sample_file("beat/2_scott_0_3_3.wav")
    wave, rate = load_audio(path)
    assert rate == 16000 and wave.dtype == np.float32 and wave.shape == (68 * 16000,)
    summary = describe_audio(path)
    assert summary.info.encoding == "WAV PCM_24"
    assert summary.info.duration == pytest.approx(68.0)
    assert 0.1 < summary.peak <= 1.0 and summary.warnings == []
    raw, _ = sf.read(path, dtype="float32")
    np.testing.assert_array_equal(wave, raw)


def test_real_16_bit_speech_resampled(sample_file):
    path = sample_file("speech/Forrest_tts.wav")
    wave, rate = load_audio(path)
    assert rate == 16000 and wave.shape == (1897400,)
    assert describe_audio(path).info.encoding == "WAV PCM_16"
    down, rate8k = load_audio(path, target_sr=8000)
    assert rate8k == 8000 and abs(down.shape[0] - 948700) <= 1


@pytest.mark.parametrize(
    ("subtype", "fmt", "suffix", "tolerance"),
    [("PCM_16", "WAV", ".wav", 2**-15), ("PCM_24", "WAV", ".wav", 2**-23), ("FLOAT", "WAV", ".wav", 0.0), ("PCM_24", "FLAC", ".flac", 2**-23)],
)
def test_bit_depths_and_flac(tmp_path, subtype, fmt, suffix, tolerance):
    wave = tone(220, 16000, 0.5)
    path = tmp_path / f"x{suffix}"
    sf.write(path, wave, 16000, subtype=subtype, format=fmt)
    loaded, rate = load_audio(path)
    assert rate == 16000 and loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, wave, atol=tolerance)


def test_stereo_is_mixed_to_mono_by_mean(tmp_path):
    left = tone(300, 16000, 0.25, 0.6)
    right = tone(500, 16000, 0.25, 0.2)
    sf.write(tmp_path / "s.wav", np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    loaded, _ = load_audio(tmp_path / "s.wav")
    np.testing.assert_allclose(loaded, (left + right) / 2, atol=1e-7)
    assert describe_audio(tmp_path / "s.wav").info.channels == 2


def test_resampling_keeps_pitch_and_level(tmp_path):
    sf.write(tmp_path / "cd.wav", tone(440, 44100, 1.0, 0.5), 44100, subtype="PCM_16")
    loaded, rate = load_audio(tmp_path / "cd.wav")
    assert rate == 16000 and loaded.shape == (16000,)
    assert dominant_frequency(loaded, 16000) == pytest.approx(440, abs=2)
    assert np.sqrt(np.mean(loaded[1000:-1000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    native, native_rate = load_audio(tmp_path / "cd.wav", target_sr=None)
    assert native_rate == 44100 and native.shape == (44100,)


def test_mp3_with_soundfile_and_with_pyav(tmp_path, monkeypatch):
    path = tmp_path / "talk.mp3"
    sf.write(path, np.stack([tone(440, 44100, 1.0), tone(440, 44100, 1.0)], axis=1), 44100, format="MP3")
    wave, rate = load_audio(path)
    assert rate == 16000 and abs(wave.shape[0] - 16000) < 400
    assert dominant_frequency(wave, 16000) == pytest.approx(440, abs=2)
    monkeypatch.setattr(audio, "_mp3_supported_by_soundfile", lambda: False)
    via_av, _ = load_audio(path)
    assert describe_audio(path).info.encoding == "mp3 (PyAV)"
    assert dominant_frequency(via_av, 16000) == pytest.approx(440, abs=2)
    assert abs(via_av.shape[0] - wave.shape[0]) < 400


def test_mp3_encoded_by_ffmpeg_through_pyav(tmp_path):
    import av

    path = tmp_path / "ffmpeg.mp3"
    samples = tone(330, 22050, 1.0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libmp3lame" if "libmp3lame" in av.codecs_available else "mp3", rate=22050, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = 22050
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    planar, rate = audio._decode_with_av(path)
    assert rate == 22050 and planar.shape[0] == 1
    assert dominant_frequency(planar[0], rate) == pytest.approx(330, abs=2)
    wave, _ = load_audio(path)
    assert dominant_frequency(wave, 16000) == pytest.approx(330, abs=2)


def test_silence_is_allowed_and_reported(tmp_path):
    sf.write(tmp_path / "quiet.wav", np.zeros(8000, dtype=np.float32), 16000, subtype="PCM_16")
    wave, _ = load_audio(tmp_path / "quiet.wav")
    assert wave.shape == (8000,) and not wave.any()
    summary = describe_audio(tmp_path / "quiet.wav")
    assert summary.peak == 0.0
    assert summary.warnings == ["silent audio: every sample is 0 over 0.50 s"]


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        load_audio(tmp_path / "none.wav")


def test_corrupt_and_fake_files(tmp_path):
    (tmp_path / "noise.wav").write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(InputFileError, match="cannot decode audio") as caught:
        load_audio(tmp_path / "noise.wav")
    assert "noise.wav" in str(caught.value)
    (tmp_path / "text.mp3").write_text("this is not audio\n" * 50)
    with pytest.raises(InputFileError, match="cannot decode audio"):
        load_audio(tmp_path / "text.mp3")
    good = tmp_path / "cut.wav"
    sf.write(good, tone(200, 16000, 0.5), 16000, subtype="PCM_24")
    (tmp_path / "header_only.wav").write_bytes(good.read_bytes()[:30])
    with pytest.raises(InputFileError):
        load_audio(tmp_path / "header_only.wav")


def test_empty_audio(tmp_path):
    sf.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    with pytest.raises(InputFileError, match="no audio samples"):
        load_audio(tmp_path / "empty.wav")


def test_nan_samples(tmp_path):
    wave = tone(200, 16000, 0.1)
    wave[10] = np.nan
    sf.write(tmp_path / "nan.wav", wave, 16000, subtype="FLOAT")
    with pytest.raises(InputFileError, match="NaN or inf"):
        load_audio(tmp_path / "nan.wav")


def test_decode_keeps_channels(tmp_path):
    sf.write(tmp_path / "quad.wav", np.zeros((100, 4), dtype=np.float32), 8000)
    data, info = decode_audio(tmp_path / "quad.wav")
    assert data.shape == (100, 4) and info.channels == 4 and info.sample_rate == 8000


def test_bad_target_rate(tmp_path):
    sf.write(tmp_path / "x.wav", tone(200, 16000, 0.1), 16000)
    with pytest.raises(ValueError, match="target_sr"):
        load_audio(tmp_path / "x.wav", target_sr=0)

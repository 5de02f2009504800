"""Benchmark sources: the sample clips as 1280x720 25 fps H.264, the way an IP camera sends them.

FFmpeg (libx264) transcodes once; the result is cached under ``.cache/bench/`` with a name keyed by
the source's sha256 and every encoding parameter, so a changed clip or setting never reuses a stale file.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from gatewatch.assets.downloads import sha256_of
from gatewatch.vision.errors import UserError

CACHE_DIR = Path(".cache", "bench")  # in the current directory, as Settings.cache_dir's default
# Clips that move (people walking, a bottle carried) at different sizes; stream i gets clip i mod 4.
BENCH_CLIPS = ("vtest.avi", "one-by-one-person-detection.mp4", "bottle-detection.mp4", "car-detection.mp4")


@dataclass(frozen=True, slots=True)
class EncodeParams:
    """How a camera-like stream is encoded: constant-rate main profile, no B-frames, 2 s GOP."""

    width: int = 1280
    height: int = 720
    fps: int = 25
    bitrate_kbps: int = 2500
    gop: int = 50
    max_seconds: float = 60.0  # long enough that a 30 s trial loops each clip at most once
    loop_input: bool = False  # repeat a shorter clip up to max_seconds (RTSP streams cannot loop a file)


def ffmpeg_args(source: Path, out: Path, params: EncodeParams) -> list[str]:
    # Scale to fit, then pad to exactly WxH (clips have other aspect ratios); fps filter resamples time.
    vf = (
        f"scale={params.width}:{params.height}:force_original_aspect_ratio=decrease,"
        f"pad={params.width}:{params.height}:(ow-iw)/2:(oh-ih)/2,fps={params.fps},format=yuv420p"
    )
    rate = f"{params.bitrate_kbps}k"
    loop = ["-stream_loop", "-1"] if params.loop_input else []
    return [
        "ffmpeg", "-v", "error", "-y", *loop, "-i", str(source), "-t", str(params.max_seconds), "-an", "-vf", vf,
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "0",
        "-g", str(params.gop), "-keyint_min", str(params.gop), "-sc_threshold", "0",
        "-b:v", rate, "-maxrate", rate, "-bufsize", f"{2 * params.bitrate_kbps}k",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip


MAIN_STREAM = EncodeParams()
# What IP cameras send for analytics (Frigate's advice: detect on it): a quarter of the pixels at 10 fps.
SUB_STREAM = EncodeParams(width=640, height=360, fps=10, bitrate_kbps=512, gop=20)
PROFILES = ("720p25", "substream")


def prepare_source(source: Path, params: EncodeParams = EncodeParams(), cache_dir: Path = CACHE_DIR) -> Path:
    """The cached 720p transcode of ``source``; made (atomically) when missing."""
    digest = sha256_of(source)[:16]
    out = cache_dir / f"{source.stem}-{digest}-{params.width}x{params.height}p{params.fps}-{_key(params)}.mp4"
    if out.is_file():
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".part.mp4")
    try:
        subprocess.run(ffmpeg_args(source, partial, params), check=True, capture_output=True, text=True, timeout=600)
    except subprocess.CalledProcessError as exc:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg could not transcode {source}: {exc.stderr.strip()[-500:]}") from exc
    partial.rename(out)  # a killed transcode never leaves a file that looks finished
    return out


def _key(params: EncodeParams) -> str:
    return hashlib.sha256(json.dumps(asdict(params), sort_keys=True).encode()).hexdigest()[:10]


def prepare_sources(
    samples_dir: Path,
    params: EncodeParams = EncodeParams(),
    clips: tuple[str, ...] = BENCH_CLIPS,
    cache_dir: Path = CACHE_DIR,
) -> list[Path]:
    """The ``clips`` found in ``samples_dir``, transcoded; at least one must exist."""
    present = [samples_dir / name for name in clips if (samples_dir / name).is_file()]
    if not present:
        raise UserError(
            f"none of the bench clips ({', '.join(clips)}) is in {samples_dir}; "
            "set GATEWATCH_SAMPLES_DIR to the folder that holds them"
        )
    return [prepare_source(path, params, cache_dir) for path in present]


def probe(path: Path) -> dict[str, object]:
    """Codec, size, frame rate and duration of a file, read by ffprobe (independent of PyAV)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,avg_frame_rate,nb_frames:format=duration", "-of", "json", str(path)],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    data = json.loads(out)
    stream = data["streams"][0]
    num, den = (int(x) for x in stream["avg_frame_rate"].split("/"))
    return {
        "codec": stream["codec_name"],
        "width": int(stream["width"]),
        "height": int(stream["height"]),
        "fps": num / den if den else 0.0,
        "frames": int(stream.get("nb_frames", 0)),
        "duration_s": float(data["format"]["duration"]),
    }

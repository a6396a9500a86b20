"""The seams into manim's internals still fit the installed manim."""

import inspect

import manim
from manim.scene.scene_file_writer import SceneFileWriter

from optanim.render import internals
from optanim.render.encoder import SceneEncoder


def test_the_installed_manim_is_one_the_seams_were_tested_with():
    assert internals.SUPPORTED, (
        f"manim {manim.__version__} is outside {internals.TESTED}: scenes fall back "
        "to manim's own writer; check every seam, then widen TESTED"
    )


def test_every_seam_has_the_signature_it_is_written_for():
    for cls, name, expected in internals.SEAMS:
        method = getattr(cls, name, None)
        assert method is not None, f"{cls.__name__}.{name} is gone"
        parameters = list(inspect.signature(method).parameters)[1:]  # after self
        missing = [p for p in expected if p not in parameters]
        assert not missing, f"{cls.__name__}.{name} lost {missing}: {parameters}"
        assert parameters[: len(expected)] == list(expected), (
            f"{cls.__name__}.{name} takes {parameters}, not {list(expected)} first"
        )


def test_the_writer_puts_frames_where_the_encoder_waits_for_them():
    # SceneFileWriter.open_partial_movie_stream hands manim's write_frame the
    # scene's encoder through this attribute, and write_frame asks it `failed`.
    source = inspect.getsource(SceneFileWriter.write_frame)
    assert "_current_encode_job" in source
    assert hasattr(SceneEncoder, "failed")


def test_manim_still_leaves_the_quotes_of_its_concat_list_to_us():
    # SceneFileWriter.combine_files escapes each path's ' for ffmpeg's concat
    # list; were manim to escape them too, they would be escaped twice.
    source = inspect.getsource(SceneFileWriter.combine_files)
    assert "fp.write(f\"file 'file:{pf_path}'\\n\")" in source
    assert "replace(" not in source

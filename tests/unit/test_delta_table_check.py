"""What makes a folder a Delta table for spark-init-delta: a commit or a checkpoint in its log,
whatever else Spark leaves there (checksums, _last_checkpoint)."""

from spark_apps.spark_init_delta.create import is_table


def _log(tmp_path, *names):
    log = tmp_path / "t" / "_delta_log"
    log.mkdir(parents=True)
    for name in names:
        (log / name).write_text("")
    return tmp_path / "t"


def test_a_log_with_spark_checksums_listed_first_is_a_table(tmp_path):
    table = _log(
        tmp_path, ".00000000000000000001.crc.crc", "00000000000000000001.crc", "00000000000000000000.json"
    )
    assert is_table(table)


def test_a_log_kept_from_a_checkpoint_on_is_a_table(tmp_path):
    assert is_table(_log(tmp_path, "00000000000000000010.checkpoint.parquet", "_last_checkpoint"))


def test_a_folder_without_commits_is_not_a_table(tmp_path):
    assert not is_table(tmp_path / "missing")
    assert not is_table(_log(tmp_path, "_last_checkpoint", "00000000000000000001.crc", "notes.json"))

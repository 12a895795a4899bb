"""Spark's local files without a process per call (conf/jvm/local-fs): the same permissions, link
statuses and refused renames as Hadoop's own local file system, and no `chmod` or `readlink`
forked from the JVM for a checkpoint or a Delta commit."""

import os
import stat
import time
from pathlib import Path

import pytest


def _children_cpu_ticks(pid: int) -> int:
    """CPU time of the JVM's exited children (cutime + cstime), in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[13]) + int(fields[14])


@pytest.fixture
def local_files(spark):
    """Hadoop's package, and file:// as Spark's queries see it: through FileSystem and FileContext."""
    fs = spark._jvm.org.apache.hadoop.fs
    conf = spark._jsparkSession.sessionState().newHadoopConf()
    return (
        fs,
        fs.FileSystem.get(spark._jvm.java.net.URI("file:///"), conf),
        fs.FileContext.getFileContext(conf),
    )


def test_file_urls_use_the_file_system_without_a_shell(local_files):
    _, file_system, context = local_files
    # both with Hadoop's checksums, over the raw file system that forks nothing
    assert file_system.getClass().getName() == "io.smartshelf.hadoop.LocalFileSystemWithoutShell"
    assert (
        file_system.getRawFileSystem().getClass().getName()
        == "io.smartshelf.hadoop.RawLocalFileSystemWithoutShell"
    )
    assert context.getDefaultFileSystem().getClass().getName() == "io.smartshelf.hadoop.LocalFsWithoutShell"


def test_a_local_file_is_copied_as_the_rocksdb_state_store_uploads_its_snapshots(local_files, tmp_path):
    """RocksDB's file manager uploads a snapshot with copyFromLocalFile, which asks Hadoop for the
    local file system as a LocalFileSystem (a raw one there failed with a ClassCastException)."""
    fs, file_system, _ = local_files
    (tmp_path / "snapshot.sst").write_bytes(b"state" * 1000)
    file_system.copyFromLocalFile(fs.Path(str(tmp_path / "snapshot.sst")), fs.Path(str(tmp_path / "dfs.sst")))
    assert (tmp_path / "dfs.sst").read_bytes() == b"state" * 1000


def _commits_and_checkpoints(spark, where: Path) -> None:
    """Four Delta appends and a checkpointed stream's first micro-batches."""
    table = str(where / "table")
    for _ in range(4):  # Hadoop's own local file system forked about 25 processes for each
        spark.range(3).write.format("delta").mode("append").save(table)
    assert spark.read.format("delta").load(table).count() == 12
    stream = (
        spark.readStream.format("rate").option("rowsPerSecond", 10).load()
        .writeStream.foreachBatch(lambda frame, batch: None)
        .option("checkpointLocation", str(where / "checkpoint"))
        .trigger(processingTime="0 seconds")
        .start()
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while (stream.lastProgress or {}).get("batchId", -1) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (stream.lastProgress or {}).get("batchId", -1) >= 4, stream.lastProgress
    finally:
        stream.stop()


def test_a_checkpointed_stream_and_delta_commits_fork_no_process(spark, tmp_path):
    pid = spark._jvm.java.lang.ProcessHandle.current().pid()
    # what a JVM runs once (Hadoop's own checks) runs here, before the count
    _commits_and_checkpoints(spark, tmp_path / "first")
    before = _children_cpu_ticks(pid)
    _commits_and_checkpoints(spark, tmp_path / "second")
    spent = _children_cpu_ticks(pid) - before
    assert spent == 0, f"the JVM's child processes used {spent} clock ticks for its local files"


def test_created_files_and_directories_get_their_permission(local_files, tmp_path):
    fs, file_system, context = local_files
    directory = fs.Path(str(tmp_path / "d"))
    context.mkdir(directory, fs.permission.FsPermission("750"), False)
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o750
    file_system.setPermission(directory, fs.permission.FsPermission("700"))
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o700


def test_a_rename_onto_an_existing_file_is_refused_as_delta_needs(spark, local_files, tmp_path):
    """Delta's log store commits a version by a rename that must fail when the version exists."""
    fs, _, context = local_files
    (tmp_path / "new").write_text("mine")
    (tmp_path / "taken").write_text("theirs")
    no_overwrite = spark.sparkContext._gateway.new_array(fs.Options.Rename, 0)
    with pytest.raises(Exception, match="FileAlreadyExistsException"):
        context.rename(fs.Path(str(tmp_path / "new")), fs.Path(str(tmp_path / "taken")), no_overwrite)
    assert (tmp_path / "taken").read_text() == "theirs"
    context.rename(fs.Path(str(tmp_path / "new")), fs.Path(str(tmp_path / "free")), no_overwrite)
    assert (tmp_path / "free").read_text() == "mine" and not (tmp_path / "new").exists()


def test_link_statuses_are_hadoop_s(local_files, tmp_path):
    fs, _, context = local_files
    path = fs.Path
    (tmp_path / "file").write_text("12345")
    os.symlink(tmp_path / "file", tmp_path / "link")
    os.symlink(tmp_path / "missing", tmp_path / "dangling")
    plain = context.getFileLinkStatus(path(str(tmp_path / "file")))
    assert plain.isFile() and not plain.isSymlink() and plain.getLen() == 5
    link = context.getFileLinkStatus(path(str(tmp_path / "link")))
    assert link.isSymlink() and link.getSymlink().toUri().getPath() == str(tmp_path / "file")
    dangling = context.getFileLinkStatus(path(str(tmp_path / "dangling")))
    assert dangling.isSymlink() and dangling.getSymlink().toUri().getPath() == str(tmp_path / "missing")
    with pytest.raises(Exception, match="FileNotFoundException"):
        context.getFileLinkStatus(path(str(tmp_path / "nothing")))

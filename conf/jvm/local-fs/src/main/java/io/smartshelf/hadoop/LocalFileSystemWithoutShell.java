package io.smartshelf.hadoop;

import org.apache.hadoop.fs.LocalFileSystem;

/**
 * What FileSystem uses for file:// (fs.file.impl): Hadoop's LocalFileSystem, checksums included, over
 * {@link RawLocalFileSystemWithoutShell}. It has to be a LocalFileSystem: Hadoop's {@code
 * FileSystem.getLocal} casts to it, and copyFromLocalFile (how RocksDB's state store uploads its
 * snapshots) goes through that.
 */
public class LocalFileSystemWithoutShell extends LocalFileSystem {

  public LocalFileSystemWithoutShell() {
    super(new RawLocalFileSystemWithoutShell());
  }
}

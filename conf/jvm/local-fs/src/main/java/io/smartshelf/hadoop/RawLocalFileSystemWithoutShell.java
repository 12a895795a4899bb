package io.smartshelf.hadoop;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's raw local file system, with the two calls it makes through a shell done in Java.
 *
 * <p>Without Hadoop's native library (pyspark ships none), Hadoop 3.3's RawLocalFileSystem starts
 * a {@code chmod} process for every file and directory it creates with a permission, and a {@code
 * readlink} process for every link status a FileContext asks for (two per rename). A streaming
 * query's checkpoint (offsets and commits) and a Delta commit go through both: about 20 processes
 * per micro-batch and 25 per Delta append, each forked from the Spark JVM. Here the same
 * permission and the same link target are read and set with java.nio, in the JVM.
 */
public class RawLocalFileSystemWithoutShell extends RawLocalFileSystem {

  private static final PosixFilePermission[] BITS = {
    PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
    PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
    PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
  };

  /** The permission's rwx bits as java.nio's set (the sticky bit has no java.nio form: local files here never need it). */
  static Set<PosixFilePermission> posix(FsPermission permission) {
    int mode = permission.toShort();
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    for (int bit = 0; bit < BITS.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(BITS[bit]);
      }
    }
    return set;
  }

  @Override
  public void setPermission(Path p, FsPermission permission) throws IOException {
    File file = pathToFile(p);
    if (!file.exists()) {
      throw new FileNotFoundException("File " + p + " does not exist");
    }
    Files.setPosixFilePermissions(file.toPath(), posix(permission));
  }

  /** The status of the file, or of the link itself when {@code f} is a symbolic link, as Hadoop gives it. */
  @Override
  public FileStatus getFileLinkStatus(Path f) throws IOException {
    java.nio.file.Path path = pathToFile(f).toPath();
    if (!Files.isSymbolicLink(path)) {
      return getFileStatus(f); // Hadoop's own answer for a path that is not a link
    }
    Path target = new Path(Files.readSymbolicLink(path).toString());
    if (!Files.exists(path)) { // a dangling link: its own status, as Hadoop builds it
      return new FileStatus(0, false, 0, 0, 0, 0, FsPermission.getDefault(), "", "", target, f);
    }
    FileStatus status = getFileStatus(f);
    boolean isDir = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
    return new FileStatus(
        status.getLen(), isDir, status.getReplication(), status.getBlockSize(),
        status.getModificationTime(), status.getAccessTime(), null, null, null, target, status.getPath());
  }
}

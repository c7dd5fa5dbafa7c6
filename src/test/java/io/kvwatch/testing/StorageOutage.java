package io.kvwatch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A storage directory made unusable for a while and given back whole. Tests run as root, for whom permissions do not
 * stop writes; so the directory is renamed away and a regular file put at its path: every write or {@code mkdirs}
 * under it then fails ("Not a directory"), as on a lost mount. {@link #end()} removes the file and renames the
 * directory back, with everything written before the outage; files still open in it keep their place.
 */
public final class StorageOutage implements AutoCloseable {

    private final Path directory;
    private final Path away;
    private boolean out;

    private StorageOutage(Path directory) {
        this.directory = directory;
        this.away = directory.resolveSibling(directory.getFileName() + ".away");
    }

    /** Starts the outage of {@code directory}, which must exist. */
    public static StorageOutage begin(Path directory) throws IOException {
        StorageOutage outage = new StorageOutage(directory);
        Files.move(directory, outage.away, StandardCopyOption.ATOMIC_MOVE);
        outage.out = true;
        Files.writeString(directory, "checkpoint storage unavailable (StorageOutage)\n");
        return outage;
    }

    /** Gives the directory back; does nothing if it has been given back already. */
    public void end() throws IOException {
        if (out) {
            Files.deleteIfExists(directory);
            Files.move(away, directory, StandardCopyOption.ATOMIC_MOVE);
            out = false;
        }
    }

    /** Ends the outage: a test failing mid-outage must leave the directory to its cleanup. */
    @Override
    public void close() throws IOException {
        end();
    }
}

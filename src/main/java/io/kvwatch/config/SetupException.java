package io.kvwatch.config;

/**
 * A mistake in how the job was set up (a setting, a path, an unreachable cluster, a missing topic), found before any
 * record is read. Its message is one line that names the cause and what to change, and holds no secret: a local run
 * prints it as {@code kvwatch: <message>} and exits with {@link #EXIT_CODE}, without a stack trace.
 *
 * <p>An {@link IllegalArgumentException}, as every refusal of a setting has always been.
 */
public class SetupException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The exit status of a local run that stopped on a setup mistake (1 is a job that failed while running). */
    public static final int EXIT_CODE = 2;

    public SetupException(String message) {
        super(message);
    }

    public SetupException(String message, Throwable cause) {
        super(message, cause);
    }
}

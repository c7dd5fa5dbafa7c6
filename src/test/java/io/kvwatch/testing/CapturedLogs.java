package io.kvwatch.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.AbstractConfiguration;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Everything the given loggers write at the given level and above, kept in memory (with stack traces) instead of on
 * the console, until closed. For tests that search a run's log, e.g. for a secret.
 */
public final class CapturedLogs implements AutoCloseable {

    private final StringBuffer text = new StringBuffer();
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
    private final List<String> loggerNames;
    private final AbstractAppender appender;
    private volatile boolean closed;

    private CapturedLogs(Level level, List<String> loggerNames) {
        this.loggerNames = loggerNames;
        this.appender = new AbstractAppender("captured-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (closed) {
                    return;
                }
                StringBuilder line = new StringBuilder()
                        .append(event.getLevel())
                        .append(' ')
                        .append(event.getLoggerName())
                        .append(" - ")
                        .append(event.getMessage().getFormattedMessage())
                        .append('\n');
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    line.append(trace);
                }
                text.append(line);
            }
        };
        appender.start();
        Configuration config = context.getConfiguration();
        config.addAppender(appender);
        for (String name : loggerNames) {
            LoggerConfig logger = new LoggerConfig(name, level, false);
            logger.addAppender(appender, level, null);
            config.addLogger(name, logger);
        }
        context.updateLoggers();
    }

    public static CapturedLogs capture(Level level, String... loggerNames) {
        return new CapturedLogs(level, List.of(loggerNames));
    }

    public String text() {
        return text.toString();
    }

    /**
     * Restores the loggers. The appender is left started but mute: a thread may still be logging through the loggers
     * as they were, and log4j complains about appending to a stopped appender.
     */
    @Override
    public void close() {
        closed = true;
        Configuration config = context.getConfiguration();
        loggerNames.forEach(config::removeLogger);
        if (config instanceof AbstractConfiguration abstractConfig) {
            abstractConfig.removeAppender(appender.getName());
        }
        context.updateLoggers();
    }
}

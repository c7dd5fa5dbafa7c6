package io.kvwatch.testing;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real {@link KafkaBroker} per test class:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * }</pre>
 *
 * <p>The broker starts before the class's first test and is stopped after its last one, whether
 * the tests passed or failed. Nested test classes share their enclosing class's broker.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private KafkaBroker broker;
    /** The unique id of the context that started {@link #broker}; only it stops the broker. */
    private String ownerContextId;

    @Override
    public void beforeAll(ExtensionContext context) {
        if (broker != null) {
            return; // a @Nested class inside the class that started the broker
        }
        broker = KafkaBroker.start();
        ownerContextId = context.getUniqueId();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (broker == null || !context.getUniqueId().equals(ownerContextId)) {
            return;
        }
        try {
            broker.close();
        } finally {
            broker = null;
            ownerContextId = null;
        }
    }

    /** The running broker; only valid between before-all and after-all of the test class. */
    public KafkaBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("No Kafka broker: register KafkaBrokerExtension on a static field with"
                    + " @RegisterExtension, and use it only inside tests");
        }
        return broker;
    }

    /** See {@link KafkaBroker#bootstrapServers()}. */
    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** See {@link KafkaBroker#clientProperties()}. */
    public Properties clientProperties() {
        return broker().clientProperties();
    }

    /** See {@link KafkaBroker#createTopic(String, int)}. */
    public void createTopic(String name, int partitions) {
        broker().createTopic(name, partitions);
    }

    /** See {@link KafkaBroker#createTopic(String, int, Map)}. */
    public void createTopic(String name, int partitions, Map<String, String> topicConfigs) {
        broker().createTopic(name, partitions, topicConfigs);
    }
}

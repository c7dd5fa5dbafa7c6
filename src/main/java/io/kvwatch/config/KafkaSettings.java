package io.kvwatch.config;

import io.kvwatch.config.JobOptions.StartingOffsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * Everything the Kafka input and outputs need, resolved and checked once from {@link JobConfig}: the cluster (a
 * self-hosted one, or an Event Hubs namespace through {@link EventHubsSettings}), the client properties, the topics,
 * the start position and the delivery guarantee.
 *
 * <p>Client properties are layered, later wins: the Event Hubs preset, then {@code kafka.properties-file}, then
 * {@code kafka.properties.*} settings. A few properties belong to the job's own settings and are refused as client
 * properties, so that each fact has one place.
 */
public final class KafkaSettings {

    /** Client properties that the job sets from its own settings (or that Flink's connector sets itself). */
    private static final Map<String, String> JOB_OWNED = Map.of(
            "bootstrap.servers",
            "use " + JobOptions.KAFKA_BOOTSTRAP_SERVERS.key() + " (or eventhubs.namespace)",
            "group.id",
            "use " + JobOptions.KAFKA_GROUP_ID.key(),
            "transactional.id",
            "use " + JobOptions.TRANSACTIONAL_ID_PREFIX.key(),
            "transaction.timeout.ms",
            "use " + JobOptions.TRANSACTION_TIMEOUT.key(),
            "key.deserializer",
            "the job reads bytes",
            "value.deserializer",
            "the job reads bytes",
            "key.serializer",
            "the job writes bytes",
            "value.serializer",
            "the job writes bytes");

    private final String bootstrapServers;
    private final boolean eventHubs;
    private final Map<String, String> consumer;
    private final Map<String, String> producer;

    private final List<String> topics;
    private final String groupId;
    private final StartingOffsets startingOffsets;
    private final boolean bounded;

    private final String alertsTopic;
    private final String deadLettersTopic;
    private final DeliveryGuarantee deliveryGuarantee;
    private final String transactionalIdPrefix;
    private final Duration transactionTimeout;

    private KafkaSettings(
            JobConfig config,
            String bootstrapServers,
            EventHubsSettings eventHubs,
            Map<String, String> consumer,
            Map<String, String> producer) {
        this.bootstrapServers = bootstrapServers;
        this.eventHubs = eventHubs != null;
        this.consumer = consumer;
        this.producer = producer;
        this.topics = config.getOptional(JobOptions.KAFKA_TOPIC)
                .map(KafkaSettings::splitTopics)
                .orElse(List.of());
        this.groupId = config.get(JobOptions.KAFKA_GROUP_ID);
        this.startingOffsets = config.get(JobOptions.KAFKA_STARTING_OFFSETS);
        this.bounded = config.get(JobOptions.KAFKA_BOUNDED);
        this.alertsTopic = config.get(JobOptions.ALERTS_TOPIC);
        this.deadLettersTopic = config.get(JobOptions.DEAD_LETTERS_TOPIC);
        this.deliveryGuarantee = config.getOptional(JobOptions.DELIVERY_GUARANTEE)
                .orElse(this.eventHubs ? DeliveryGuarantee.AT_LEAST_ONCE : DeliveryGuarantee.EXACTLY_ONCE);
        this.transactionalIdPrefix = config.get(JobOptions.TRANSACTIONAL_ID_PREFIX);
        this.transactionTimeout = config.get(JobOptions.TRANSACTION_TIMEOUT);
    }

    /**
     * The Kafka settings when the job reads or writes Kafka ({@code kafka.topic} or {@code alerts.topic} is set);
     * empty in local file mode.
     *
     * @throws IllegalArgumentException when the settings contradict each other or are incomplete
     */
    public static Optional<KafkaSettings> from(JobConfig config) {
        boolean reads = config.getOptional(JobOptions.KAFKA_TOPIC).isPresent();
        boolean writes = config.getOptional(JobOptions.ALERTS_TOPIC).isPresent()
                || config.getOptional(JobOptions.DEAD_LETTERS_TOPIC).isPresent();
        if (!reads && !writes) {
            List<String> stray = new ArrayList<>();
            for (var option : List.of(
                    JobOptions.KAFKA_BOOTSTRAP_SERVERS,
                    JobOptions.EVENTHUBS_NAMESPACE,
                    JobOptions.KAFKA_PROPERTIES_FILE,
                    JobOptions.DELIVERY_GUARANTEE)) {
                config.getOptional(option).ifPresent(v -> stray.add(option.key()));
            }
            if (!config.kafkaClientProperties().isEmpty()) {
                stray.add(JobOptions.KAFKA_PROPERTIES_PREFIX + "*");
            }
            if (config.eventHubsConnectionString().isPresent()) {
                // Credentials given for a purpose the settings do not say: the run would quietly read the sample.
                stray.add("the Event Hubs connection string");
            }
            if (!stray.isEmpty()) {
                throw new SetupException(String.join(", ", stray) + " set, but not " + JobOptions.KAFKA_TOPIC.key()
                        + ": set it to read Kafka (or Event Hubs), or drop the Kafka settings to read files or the"
                        + " bundled sample");
            }
            return Optional.empty();
        }
        if (!reads) {
            // Alerts of the bundled sample (or of a few files) would land in a real alert topic, among real ones.
            throw new SetupException(JobOptions.ALERTS_TOPIC.key() + "/" + JobOptions.DEAD_LETTERS_TOPIC.key()
                    + " set without " + JobOptions.KAFKA_TOPIC.key() + ": the job would write the alerts of "
                    + (config.getOptional(JobOptions.INPUT).isPresent() ? "files" : "its bundled sample")
                    + " to Kafka. Set " + JobOptions.KAFKA_TOPIC.key() + " (the audit topic to read), or drop the"
                    + " topics to write alerts to files or the console");
        }
        checkModes(config, reads, writes);

        Map<String, String> user = new LinkedHashMap<>();
        config.getOptional(JobOptions.KAFKA_PROPERTIES_FILE)
                .ifPresent(f -> user.putAll(PropertiesFile.read(Path.of(f), "Kafka properties file")));
        user.putAll(config.kafkaClientProperties());
        for (Map.Entry<String, String> owned : JOB_OWNED.entrySet()) {
            if (user.containsKey(owned.getKey())) {
                throw new SetupException(
                        "The Kafka client property '" + owned.getKey() + "' is set by the job: " + owned.getValue());
            }
        }

        EventHubsSettings eventHubs = eventHubs(config);
        String bootstrap = config.get(JobOptions.KAFKA_BOOTSTRAP_SERVERS);
        Map<String, String> consumer = new LinkedHashMap<>();
        Map<String, String> producer = new LinkedHashMap<>();
        if (eventHubs != null) {
            EventHubsSettings.checkOverrides(user);
            if (bootstrap == null) {
                bootstrap = eventHubs.bootstrapServers();
            }
            Map<String, String> common = eventHubs.commonProperties();
            common.remove("bootstrap.servers");
            consumer.putAll(common);
            consumer.putAll(eventHubs.consumerProperties());
            producer.putAll(common);
            producer.putAll(eventHubs.producerProperties());
        } else if (bootstrap == null || bootstrap.isBlank()) {
            throw new SetupException("Kafka needs a cluster: set " + JobOptions.KAFKA_BOOTSTRAP_SERVERS.key()
                    + ", or eventhubs.namespace with the connection string in "
                    + JobConfig.EVENTHUBS_CONNECTION_STRING_ENV
                    + " or " + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key());
        }
        consumer.putAll(user);
        producer.putAll(user);

        KafkaSettings settings = new KafkaSettings(config, bootstrap.strip(), eventHubs, consumer, producer);
        if (settings.deliveryGuarantee == DeliveryGuarantee.NONE) {
            throw new SetupException(
                    JobOptions.DELIVERY_GUARANTEE.key() + " none would lose alerts; use exactly-once or at-least-once");
        }
        if (reads && settings.topics.isEmpty()) {
            throw new SetupException(JobOptions.KAFKA_TOPIC.key() + " names no topic");
        }
        return Optional.of(settings);
    }

    private static void checkModes(JobConfig config, boolean reads, boolean writes) {
        if (reads && config.getOptional(JobOptions.INPUT).isPresent()) {
            throw new SetupException("Set either " + JobOptions.INPUT.key() + " (files) or "
                    + JobOptions.KAFKA_TOPIC.key() + " (Kafka), not both");
        }
        if (writes) {
            if (config.getOptional(JobOptions.ALERTS_TOPIC).isEmpty()
                    || config.getOptional(JobOptions.DEAD_LETTERS_TOPIC).isEmpty()) {
                throw new SetupException("Kafka outputs need both " + JobOptions.ALERTS_TOPIC.key() + " and "
                        + JobOptions.DEAD_LETTERS_TOPIC.key());
            }
            if (config.getOptional(JobOptions.OUTPUT).isPresent()
                    || config.getOptional(JobOptions.DEAD_LETTER_OUTPUT).isPresent()) {
                throw new SetupException("Set either " + JobOptions.OUTPUT.key() + "/"
                        + JobOptions.DEAD_LETTER_OUTPUT.key() + " (files) or " + JobOptions.ALERTS_TOPIC.key() + "/"
                        + JobOptions.DEAD_LETTERS_TOPIC.key() + " (Kafka), not both");
            }
        }
    }

    private static EventHubsSettings eventHubs(JobConfig config) {
        Optional<EventHubsConnectionString> connectionString = config.eventHubsConnectionString();
        String namespace = config.get(JobOptions.EVENTHUBS_NAMESPACE);
        if (connectionString.isEmpty()) {
            if (namespace != null) {
                throw new SetupException("eventhubs.namespace is set but no connection string: put it in the"
                        + " environment variable " + JobConfig.EVENTHUBS_CONNECTION_STRING_ENV
                        + " or in a file named by "
                        + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key());
            }
            return null;
        }
        return EventHubsSettings.of(namespace, connectionString.get());
    }

    static List<String> splitTopics(String topics) {
        return Arrays.stream(topics.split(","))
                .map(String::strip)
                .filter(t -> !t.isEmpty())
                .toList();
    }

    /** Whether a Kafka client property carries a credential, so that it is never shown or taken from arguments. */
    public static boolean isSecretClientProperty(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.equals("sasl.jaas.config")
                || k.contains("password")
                || k.contains("secret")
                || k.equals("ssl.keystore.key");
    }

    public boolean readsKafka() {
        return !topics.isEmpty();
    }

    public boolean writesKafka() {
        return alertsTopic != null;
    }

    public boolean isEventHubs() {
        return eventHubs;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The consumer's client properties, bootstrap servers included; group id and deserializers are the source's. */
    public Properties consumerProperties() {
        return withBootstrap(consumer);
    }

    /** The producers' client properties, bootstrap servers included; the transaction settings are the sink's. */
    public Properties producerProperties() {
        return withBootstrap(producer);
    }

    private Properties withBootstrap(Map<String, String> client) {
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty("bootstrap.servers", bootstrapServers);
        return p;
    }

    public List<String> topics() {
        return topics;
    }

    public String groupId() {
        return groupId;
    }

    public StartingOffsets startingOffsets() {
        return startingOffsets;
    }

    public boolean bounded() {
        return bounded;
    }

    public String alertsTopic() {
        return alertsTopic;
    }

    public String deadLettersTopic() {
        return deadLettersTopic;
    }

    public DeliveryGuarantee deliveryGuarantee() {
        return deliveryGuarantee;
    }

    public String transactionalIdPrefix() {
        return transactionalIdPrefix;
    }

    public Duration transactionTimeout() {
        return transactionTimeout;
    }

    @Override
    public String toString() {
        return "KafkaSettings{bootstrap=" + bootstrapServers + (eventHubs ? " (Event Hubs)" : "")
                + ", topics=" + topics + ", group=" + groupId + ", start=" + startingOffsets + ", bounded=" + bounded
                + ", alerts=" + alertsTopic + ", deadLetters=" + deadLettersTopic + ", guarantee=" + deliveryGuarantee
                + ", consumer=" + redacted(consumer) + ", producer=" + redacted(producer) + "}";
    }

    static Map<String, String> redacted(Map<String, String> client) {
        Map<String, String> out = new TreeMap<>();
        client.forEach((k, v) -> out.put(k, isSecretClientProperty(k) ? "[hidden]" : v));
        return out;
    }
}

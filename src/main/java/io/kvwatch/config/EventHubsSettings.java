package io.kvwatch.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Event Hubs preset: what a Kafka client needs to talk to an Event Hubs namespace's Kafka endpoint, with the
 * client settings Microsoft recommends for it ("Recommended configurations for Apache Kafka clients", Azure Event
 * Hubs documentation).
 *
 * <p>Authentication is SASL PLAIN over TLS with the literal user name {@code $ConnectionString} and the connection
 * string as password. The connection string goes into {@code sasl.jaas.config} and nowhere else.
 */
public final class EventHubsSettings {

    /** The Kafka endpoint of every namespace listens on 9093, TLS only. */
    public static final int KAFKA_PORT = 9093;
    /** Event Hubs closes a connection that sends a request larger than this. */
    static final int SERVICE_MAX_REQUEST_SIZE = 1_046_528;
    /** Azure closes TCP connections idle for longer than this (240 s): clients must refresh before. */
    static final long SERVICE_IDLE_CLOSE_MS = 240_000;
    /** The only compression codecs the Event Hubs Kafka endpoint accepts. */
    static final Set<String> ALLOWED_COMPRESSION = Set.of("none", "gzip");

    /** Client properties the preset owns: overriding them would break authentication. */
    static final Set<String> OWNED = Set.of("security.protocol", "sasl.mechanism", "sasl.jaas.config");

    private final EventHubsConnectionString connectionString;

    private EventHubsSettings(EventHubsConnectionString connectionString) {
        this.connectionString = connectionString;
    }

    /**
     * @param namespace the namespace as configured ({@code NAME} or {@code NAME.servicebus.windows.net}), or null to
     *     take it from the connection string's endpoint
     * @throws IllegalArgumentException when the namespace and the connection string's endpoint disagree
     */
    public static EventHubsSettings of(String namespace, EventHubsConnectionString connectionString) {
        if (namespace != null) {
            String given = namespace.strip().toLowerCase(Locale.ROOT);
            int dot = given.indexOf('.');
            String name = dot < 0 ? given : given.substring(0, dot);
            boolean matches =
                    dot < 0 ? name.equals(connectionString.namespace()) : given.equals(connectionString.endpointHost());
            if (!matches) {
                throw new SetupException("eventhubs.namespace is '" + namespace.strip()
                        + "' but the connection string is for " + connectionString.endpointHost());
            }
        }
        return new EventHubsSettings(connectionString);
    }

    public String bootstrapServers() {
        return connectionString.endpointHost() + ":" + KAFKA_PORT;
    }

    /** Settings for every client, consumer and producer. */
    public Map<String, String> commonProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", bootstrapServers());
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "PLAIN");
        p.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"$ConnectionString\" password=\"" + connectionString.revealForJaasConfig()
                        + "\";");
        p.put("request.timeout.ms", "60000");
        // Refresh before the service drops the connection at 240 s, rather than sending on a dead one.
        p.put("metadata.max.age.ms", "180000");
        p.put("connections.max.idle.ms", "180000");
        return p;
    }

    public Map<String, String> consumerProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        // Shorter sessions cause needless rebalances on Event Hubs (Microsoft's recommendation: at least 30 s).
        p.put("session.timeout.ms", "30000");
        return p;
    }

    public Map<String, String> producerProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("max.request.size", "1000000");
        p.put("compression.type", "none");
        return p;
    }

    /**
     * Refuses client properties, given by the user on top of the preset, that the Event Hubs endpoint would reject or
     * that would break authentication.
     */
    public static void checkOverrides(Map<String, String> userProperties) {
        for (String key : OWNED) {
            if (userProperties.containsKey(key)) {
                throw new SetupException("With Event Hubs, the Kafka client property '" + key
                        + "' is set by the preset from the connection string; remove it from the Kafka properties");
            }
        }
        String compression = userProperties.get("compression.type");
        if (compression != null
                && !ALLOWED_COMPRESSION.contains(compression.strip().toLowerCase(Locale.ROOT))) {
            throw new SetupException("compression.type '" + compression.strip()
                    + "' is not supported by the Event Hubs Kafka endpoint; use none (the default) or gzip");
        }
        checkBelow(
                userProperties,
                "max.request.size",
                SERVICE_MAX_REQUEST_SIZE,
                "Event Hubs closes the connection on larger requests");
        checkBelow(
                userProperties,
                "connections.max.idle.ms",
                SERVICE_IDLE_CLOSE_MS,
                "Azure closes connections idle for 240 s");
        checkBelow(
                userProperties,
                "metadata.max.age.ms",
                SERVICE_IDLE_CLOSE_MS,
                "Azure closes connections idle for 240 s");
    }

    private static void checkBelow(Map<String, String> properties, String key, long limit, String why) {
        String value = properties.get(key);
        if (value == null) {
            return;
        }
        long n;
        try {
            n = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new SetupException(key + " '" + value.strip() + "' is not a number");
        }
        if (n >= limit) {
            throw new SetupException(
                    key + " " + n + " is too large for Event Hubs: it must be below " + limit + " (" + why + ")");
        }
    }

    @Override
    public String toString() {
        return "EventHubsSettings{bootstrap=" + bootstrapServers() + ", SASL_SSL/PLAIN, " + connectionString + "}";
    }
}

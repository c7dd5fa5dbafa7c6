package io.kvwatch.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An Event Hubs connection string ({@code Endpoint=sb://NS.servicebus.windows.net/;SharedAccessKeyName=...;
 * SharedAccessKey=...}), held so that it cannot leak by accident: {@link #toString()} shows only the endpoint, and no
 * error message ever includes the value. Its one way out is {@link #revealForJaasConfig()}, into the Kafka client
 * property {@code sasl.jaas.config}, which Kafka's clients log as {@code [hidden]}.
 */
public final class EventHubsConnectionString {

    private static final String ENDPOINT_SCHEME = "sb://";

    private final String value;
    private final String endpointHost;

    private EventHubsConnectionString(String value, String endpointHost) {
        this.value = value;
        this.endpointHost = endpointHost;
    }

    /**
     * Validates a connection string; {@code source} says where it came from, for the error message.
     *
     * @throws IllegalArgumentException naming what is wrong, never the value
     */
    public static EventHubsConnectionString parse(String text, String source) {
        String value = text == null ? "" : text.strip();
        if (value.isEmpty()) {
            throw new SetupException("The Event Hubs connection string from " + source + " is empty");
        }
        if (value.indexOf('"') >= 0 || value.indexOf('\\') >= 0 || value.chars().anyMatch(Character::isISOControl)) {
            throw new SetupException("The Event Hubs connection string from " + source
                    + " contains a quote, backslash or control character; a connection string copied from the Azure"
                    + " portal has none");
        }
        Map<String, String> parts = new LinkedHashMap<>();
        for (String part : value.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                parts.put(
                        part.substring(0, eq).strip().toLowerCase(Locale.ROOT),
                        part.substring(eq + 1).strip());
            }
        }
        String endpoint = parts.get("endpoint");
        if (endpoint == null || endpoint.isEmpty()) {
            throw new SetupException("The Event Hubs connection string from " + source
                    + " has no Endpoint=sb://NAMESPACE.servicebus.windows.net/ part");
        }
        if (!endpoint.toLowerCase(Locale.ROOT).startsWith(ENDPOINT_SCHEME)) {
            throw new SetupException("The Endpoint of the Event Hubs connection string from " + source
                    + " does not start with " + ENDPOINT_SCHEME);
        }
        String host = endpoint.substring(ENDPOINT_SCHEME.length());
        int slash = host.indexOf('/');
        host = (slash < 0 ? host : host.substring(0, slash)).toLowerCase(Locale.ROOT);
        if (!host.matches("[a-z0-9][a-z0-9-]*(\\.[a-z0-9-]+)+")) {
            throw new SetupException("The Endpoint of the Event Hubs connection string from " + source
                    + " does not name a host such as NAMESPACE.servicebus.windows.net");
        }
        boolean key = !parts.getOrDefault("sharedaccesskeyname", "").isEmpty()
                && !parts.getOrDefault("sharedaccesskey", "").isEmpty();
        boolean signature = !parts.getOrDefault("sharedaccesssignature", "").isEmpty();
        if (!key && !signature) {
            throw new SetupException("The Event Hubs connection string from " + source
                    + " has neither SharedAccessKeyName and SharedAccessKey nor SharedAccessSignature");
        }
        return new EventHubsConnectionString(value, host);
    }

    /**
     * Whether a text looks like (or contains) a connection string, so that it can be refused wherever it does not
     * belong, without echoing it.
     */
    public static boolean looksLikeOne(String text) {
        if (text == null) {
            return false;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        return lower.contains("sharedaccesskey=")
                || lower.contains("sharedaccesssignature=")
                || lower.contains("endpoint=sb://");
    }

    /** The endpoint's host, e.g. {@code kv-logs.servicebus.windows.net}: not a secret. */
    public String endpointHost() {
        return endpointHost;
    }

    /** The namespace: the endpoint host's first label. */
    public String namespace() {
        return endpointHost.substring(0, endpointHost.indexOf('.'));
    }

    /** The secret itself, for {@code sasl.jaas.config} only. */
    String revealForJaasConfig() {
        return value;
    }

    @Override
    public String toString() {
        return "EventHubsConnectionString{Endpoint=sb://" + endpointHost + "/, credentials redacted}";
    }
}

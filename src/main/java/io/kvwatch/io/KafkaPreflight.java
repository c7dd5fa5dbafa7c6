package io.kvwatch.io;

import io.kvwatch.config.JobConfig;
import io.kvwatch.config.JobOptions;
import io.kvwatch.config.JobOptions.TimestampType;
import io.kvwatch.config.KafkaSettings;
import io.kvwatch.config.SetupException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before a local run reads or writes Kafka (or Event Hubs): can the cluster be reached, does it let the job in, and
 * does it have every topic the job reads and writes? Each answer is waited for at most {@code kafka.check-timeout};
 * a "no" ends the run with one line naming the host, port, topic or the authentication failure, never a credential.
 * Without this check the Kafka source and sinks would retry, and the job restart, for as long as the restart strategy
 * allows.
 */
public final class KafkaPreflight {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPreflight.class);

    private KafkaPreflight() {}

    public static void check(KafkaSettings kafka, Duration timeout) {
        check(kafka, timeout, Optional.empty());
    }

    /**
     * @param declared {@code kafka.timestamp-type} when set: on a plain Kafka cluster, compared with the input topics'
     *     {@code message.timestamp.type}
     */
    public static void check(KafkaSettings kafka, Duration timeout, Optional<TimestampType> declared) {
        String cluster = kafka.isEventHubs()
                ? "the Event Hubs namespace at " + kafka.bootstrapServers()
                : "the Kafka cluster at " + kafka.bootstrapServers();
        reachable(kafka.bootstrapServers(), cluster, timeout);

        Map<String, String> topics = new LinkedHashMap<>();
        kafka.topics().forEach(t -> topics.put(t, JobOptions.KAFKA_TOPIC.key()));
        if (kafka.writesKafka()) {
            topics.putIfAbsent(kafka.alertsTopic(), JobOptions.ALERTS_TOPIC.key());
            topics.putIfAbsent(kafka.deadLettersTopic(), JobOptions.DEAD_LETTERS_TOPIC.key());
        }
        Properties admin = new Properties();
        admin.putAll(kafka.consumerProperties());
        admin.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k.toString()));
        int ms = (int) Math.max(1000, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        admin.put(AdminClientConfig.CLIENT_ID_CONFIG, "kvwatch-start-check");
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(ms));
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(ms));
        admin.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Integer.toString(Math.min(ms, 10_000)));
        admin.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, Integer.toString(ms));

        List<String> missing = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin client = Admin.create(admin)) {
            Map<String, KafkaFuture<TopicDescription>> described =
                    client.describeTopics(topics.keySet()).topicNameValues();
            for (String topic : topics.keySet()) { // in the order of the settings, input first
                long left = Math.max(1, deadline - System.nanoTime());
                try {
                    described.get(topic).get(left, TimeUnit.NANOSECONDS);
                } catch (ExecutionException failed) {
                    Throwable cause = failed.getCause();
                    if (cause instanceof UnknownTopicOrPartitionException) {
                        missing.add("'" + topic + "' (" + topics.get(topic) + ")");
                    } else {
                        throw refusal(cause, cluster, topic, kafka);
                    }
                } catch (TimeoutException timedOut) {
                    throw new SetupException(cluster + " accepted a connection but did not answer within "
                            + seconds(timeout) + " (" + JobOptions.KAFKA_CHECK_TIMEOUT.key() + "): is it a Kafka"
                            + " listener, and do its security settings (TLS, SASL) match the client's?");
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new SetupException("Interrupted while checking " + cluster);
                }
            }
            if (missing.isEmpty() && kafka.readsKafka() && !kafka.isEventHubs()) {
                checkTimestampTypes(client, kafka.topics(), declared, deadline);
            }
        }
        if (!missing.isEmpty()) {
            throw new SetupException("No topic " + String.join(", ", missing) + " on " + cluster + ": create "
                    + (missing.size() == 1 ? "it, or correct the name" : "them, or correct the names")
                    + " (the job creates no topics)");
        }
    }

    /**
     * Who stamps the input topics' timestamps decides the event-time defaults ({@code EventTimeSettings}); a plain
     * Kafka cluster says so in each topic's {@code message.timestamp.type}. Declared {@code log-append-time} on a
     * {@code CreateTime} topic, quiet partitions would follow the clock past producers' late timestamps: refused. Left
     * undeclared on {@code LogAppendTime} topics, the job waits 30 s it need not: said in the log. A cluster that does
     * not let the job describe configurations is not asked again; the run goes on (a cluster submission never asks).
     */
    private static void checkTimestampTypes(
            Admin client, List<String> topics, Optional<TimestampType> declared, long deadline) {
        Map<String, String> types = new LinkedHashMap<>();
        try {
            List<ConfigResource> resources = topics.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t))
                    .toList();
            Map<ConfigResource, Config> configs = client.describeConfigs(resources)
                    .all()
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            for (ConfigResource r : resources) {
                ConfigEntry entry =
                        configs.get(r) == null ? null : configs.get(r).get("message.timestamp.type");
                if (entry != null && entry.value() != null) {
                    types.put(r.name(), entry.value());
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("Cannot read the input topics' message.timestamp.type", e);
            return;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return;
        }
        List<String> createTime = types.entrySet().stream()
                .filter(e -> e.getValue().equals("CreateTime"))
                .map(Map.Entry::getKey)
                .toList();
        if (declared.orElse(null) == TimestampType.LOG_APPEND_TIME && !createTime.isEmpty()) {
            throw new SetupException(JobOptions.KAFKA_TIMESTAMP_TYPE.key() + " is log-append-time but topic '"
                    + createTime.get(0) + "' has message.timestamp.type=CreateTime: its timestamps are the"
                    + " producers', which may be late, and would be taken as the broker's. Leave "
                    + JobOptions.KAFKA_TIMESTAMP_TYPE.key() + " out, or set the topic's message.timestamp.type to"
                    + " LogAppendTime");
        }
        if (declared.isEmpty() && types.size() == topics.size() && createTime.isEmpty()) {
            LOG.info(
                    "The input topic(s) {} stamp LogAppendTime: with --{} log-append-time alerts would leave within"
                            + " about a second of their records instead of 30 s (docs/semantics.md, Time)",
                    topics,
                    JobOptions.KAFKA_TIMESTAMP_TYPE.key());
        }
    }

    /** The bootstrap servers answer a TCP connection: if none does, nothing else can be learnt, so say why now. */
    private static void reachable(String bootstrapServers, String cluster, Duration timeout) {
        List<String> failures = new ArrayList<>();
        for (String server : bootstrapServers.split(",")) {
            String s = server.strip();
            int colon = s.lastIndexOf(':');
            if (colon <= 0) {
                throw new SetupException("The Kafka address '" + s + "' has no port: write host:port (e.g. "
                        + "kafka-1:9092) in " + JobOptions.KAFKA_BOOTSTRAP_SERVERS.key());
            }
            String host = s.substring(0, colon).replace("[", "").replace("]", "");
            int port;
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new SetupException("The Kafka address '" + s + "' has no valid port");
            }
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                failures.add(s + ": unknown host " + host);
                continue;
            }
            try (Socket socket = new Socket()) {
                socket.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
                return; // one reachable server is all a Kafka client needs to start
            } catch (ConnectException e) {
                failures.add(s + ": connection refused");
            } catch (SocketTimeoutException e) {
                failures.add(s + ": no answer within " + seconds(timeout));
            } catch (IOException e) {
                failures.add(s + ": " + e.getMessage());
            }
        }
        throw new SetupException("Cannot reach " + cluster.replace(" at " + bootstrapServers, "") + " ("
                + String.join("; ", failures) + "): check " + JobOptions.KAFKA_BOOTSTRAP_SERVERS.key()
                + " (or eventhubs.namespace) and that the cluster is up and reachable from here");
    }

    private static SetupException refusal(Throwable cause, String cluster, String topic, KafkaSettings kafka) {
        if (cause instanceof AuthenticationException) {
            return new SetupException(cluster + " refused the job's credentials ("
                    + cause.getClass().getSimpleName()
                    + safeMessage(cause, kafka) + "): check the connection string ("
                    + JobConfig.EVENTHUBS_CONNECTION_STRING_ENV + " or "
                    + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key()
                    + ") or the SASL/TLS settings in " + JobOptions.KAFKA_PROPERTIES_FILE.key());
        }
        if (cause instanceof AuthorizationException) {
            return new SetupException(cluster + " does not let the job describe topic '" + topic + "' ("
                    + cause.getClass().getSimpleName() + "): grant it access, or check the topic name");
        }
        if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            return new SetupException(cluster + " accepted a connection but did not answer within the "
                    + JobOptions.KAFKA_CHECK_TIMEOUT.key() + ": is it a Kafka listener, and do its security settings"
                    + " (TLS, SASL) match the client's?");
        }
        return new SetupException("Checking topic '" + topic + "' on " + cluster + " failed: "
                + cause.getClass().getSimpleName() + safeMessage(cause, kafka));
    }

    /** The server's message, unless it quotes a credential the client sent (it should not, but it is not ours). */
    private static String safeMessage(Throwable cause, KafkaSettings kafka) {
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return "";
        }
        List<String> secrets = new ArrayList<>();
        kafka.consumerProperties().forEach((k, v) -> {
            if (KafkaSettings.isSecretClientProperty(k.toString())) {
                secrets.add(v.toString());
            }
        });
        for (String value : List.copyOf(secrets)) { // a JAAS line holds its password quoted: the password alone
            Matcher m = JAAS_PASSWORD.matcher(value);
            while (m.find()) {
                secrets.add(m.group(1));
            }
        }
        for (String secret : secrets) {
            if (!secret.isEmpty() && message.contains(secret)) {
                return ": message withheld, it quoted a credential";
            }
        }
        if (message.contains("SharedAccessKey")) {
            return ": message withheld, it quoted a credential";
        }
        return ": " + message.replaceAll("\\s+", " ").strip();
    }

    private static final Pattern JAAS_PASSWORD = Pattern.compile("password=\"([^\"]*)\"");

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}

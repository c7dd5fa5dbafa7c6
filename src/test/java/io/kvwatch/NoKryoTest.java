package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.alert.Alert;
import io.kvwatch.alert.SuppressionWindow;
import io.kvwatch.config.JobConfig;
import io.kvwatch.io.FileInput;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.AuditRecordSerializer;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.Detection;
import io.kvwatch.model.RawMessage;
import io.kvwatch.model.TermKey;
import io.kvwatch.model.TermKeySerializer;
import io.kvwatch.testing.CollectingOutputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * No record and no state of the job falls back to Kryo: generic types are disabled (a generic type fails the job's
 * construction), and every serializer in the built graph, and every type in state, is one of Flink's or ours.
 */
class NoKryoTest {

    private static StreamExecutionEnvironment jobEnvironment() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobConfig config = JobConfig.of(Map.of("suppression-fields", "upn", "learning", "true"));
        new KeyVaultNewTermsJob(config, FileInput.bundledSample(), new CollectingOutputs()).build(env);
        return env;
    }

    @Test
    void genericTypesAreRefusedWhenTheJobIsBuilt() {
        StreamExecutionEnvironment env = jobEnvironment();
        // A type Flink can only serialise with Kryo: Object has no fields to make a POJO of.
        env.fromData(List.of("x")).map(s -> (Object) s).returns(Object.class).print();
        assertThatThrownBy(env::getStreamGraph)
                .as("the job's configuration refuses a Kryo fallback at build time")
                .hasStackTraceContaining("Generic types have been disabled");
    }

    @Test
    void everySerializerInTheJobGraphIsKryoFree() {
        StreamGraph graph = jobEnvironment().getStreamGraph();
        List<String> checked = new ArrayList<>();
        for (StreamNode node : graph.getStreamNodes()) {
            List<TypeSerializer<?>> serializers = new ArrayList<>(List.of(node.getTypeSerializersIn()));
            serializers.add(node.getTypeSerializerOut());
            serializers.add(node.getStateKeySerializer());
            for (TypeSerializer<?> s : serializers) {
                if (s != null) {
                    assertThat(s)
                            .as("a serializer of %s", node.getOperatorName())
                            .isNotInstanceOf(KryoSerializer.class);
                    checked.add(node.getOperatorName() + ": " + s.getClass().getSimpleName());
                }
            }
        }
        assertThat(checked)
                .as("records and keys crossing the network use our serializers")
                .anyMatch(s -> s.contains("AuditRecordSerializer"))
                .anyMatch(s -> s.contains("TermKeySerializer"));
    }

    @Test
    void recordAndStateTypesHaveNoGenericPart() {
        for (Class<?> type : List.of(
                RawMessage.class,
                AuditRecord.class,
                TermKey.class,
                Detection.class,
                SuppressionWindow.class,
                DeadLetter.class,
                Alert.class)) {
            assertNoGenericType(TypeInformation.of(type), type.getSimpleName());
        }
    }

    private static void assertNoGenericType(TypeInformation<?> info, String path) {
        assertThat(info).as(path).isNotInstanceOf(GenericTypeInfo.class);
        assertThat(info.createSerializer(new SerializerConfigImpl())).as(path).isNotInstanceOf(KryoSerializer.class);
        if (info instanceof PojoTypeInfo<?> pojo) {
            for (int i = 0; i < pojo.getArity(); i++) {
                assertNoGenericType(
                        pojo.getPojoFieldAt(i).getTypeInformation(),
                        path + "." + pojo.getPojoFieldAt(i).getField().getName());
            }
        }
    }

    @Test
    void auditRecordSurvivesItsSerializerAndItsSnapshot() throws Exception {
        AuditRecord r = new AuditRecord();
        r.ruleTime = 1_790_000_000_123L;
        r.termHi = -1;
        r.termLo = 42;
        r.httpStatusCode = 403;
        r.outcomeSuccess = true;
        r.upn = "zoë@contoso.com"; // Latin-1
        r.objectId = "https://kv.vault.azure.net/secrets/秘密"; // beyond Latin-1
        r.clientInfo = "broken \ud800 surrogate"; // kept as it came, unpaired
        r.operation = "SecretGet";
        r.shape = "azure";
        r.originalTime = "2026-11-02T08:14:03.123456700Z";
        r.resultSignature = "Forbidden";
        r.appId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
        r.vaultName = "HSM-PAYMENTS";
        r.resourceId = "/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/MANAGEDHSMS/HSM-PAYMENTS";
        r.sourceIp = "2001:db8::7";
        r.sourcePort = 443;
        r.sourceAddress = "<Redacted>";
        r.requestUri = "https://kv.vault.azure.net/secrets/x?api-version=7.5";
        r.correlationId = "2f3e0c11-79b4-4a5e-8d1d-5c7e1b2a9f60";
        r.origin = "audit-events/0@17#2";
        assertThat(r)
                .as("every field of the record is filled, so that the round trip covers it")
                .hasNoNullFieldsOrProperties();
        for (java.lang.reflect.Field f : AuditRecord.class.getFields()) {
            if (f.getType().isPrimitive() && !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                assertThat(f.get(r))
                        .as("%s is set to a non-default value", f.getName())
                        .isNotIn(0, 0L, false);
            }
        }
        TypeSerializer<AuditRecord> serializer =
                TypeInformation.of(AuditRecord.class).createSerializer(new SerializerConfigImpl());
        assertThat(serializer).isInstanceOf(AuditRecordSerializer.class);
        AuditRecord back = roundTrip(serializer, r);
        assertThat(back).usingRecursiveComparison().isEqualTo(r);
        assertThat(serializer.copy(r)).usingRecursiveComparison().isEqualTo(r);
        assertSnapshotRestoresCompatibly(serializer);

        TypeSerializer<TermKey> keys = TypeInformation.of(TermKey.class).createSerializer(new SerializerConfigImpl());
        assertThat(keys).isInstanceOf(TermKeySerializer.class);
        DataOutputSerializer out = new DataOutputSerializer(32);
        keys.serialize(new TermKey(7, -7), out);
        assertThat(out.length()).as("the key is its 16 bytes").isEqualTo(16);
        assertThat(roundTrip(keys, new TermKey(7, -7))).isEqualTo(new TermKey(7, -7));
        assertSnapshotRestoresCompatibly(keys);
    }

    @Test
    void detectionAndSuppressionWindowSurviveTheirSerializersAndSnapshots() throws Exception {
        AuditRecord r = new AuditRecord();
        r.upn = "alice@contoso.com";
        r.objectId = "https://kv.vault.azure.net/secrets/s";
        r.ruleTime = 1_790_000_000_123L;
        Detection d = new Detection(r, 1_780_000_000_000L, true);
        assertEveryFieldSet(d);
        TypeSerializer<Detection> detections =
                TypeInformation.of(Detection.class).createSerializer(new SerializerConfigImpl());
        assertThat(roundTrip(detections, d)).usingRecursiveComparison().isEqualTo(d);
        assertSnapshotRestoresCompatibly(detections);

        SuppressionWindow w = new SuppressionWindow(
                d,
                new String[] {"azure.platformlogs.identity.claim.upn", "source.ip"},
                new String[] {"alice@contoso.com", ""},
                1_790_000_000_123L);
        w.end = 1_790_000_060_000L;
        w.suppressedCount = 3;
        assertEveryFieldSet(w);
        TypeSerializer<SuppressionWindow> windows =
                TypeInformation.of(SuppressionWindow.class).createSerializer(new SerializerConfigImpl());
        assertThat(roundTrip(windows, w)).usingRecursiveComparison().isEqualTo(w);
        assertSnapshotRestoresCompatibly(windows);
    }

    /** Every field non-null and every primitive field off its default, so that a round trip covers it. */
    private static void assertEveryFieldSet(Object o) throws IllegalAccessException {
        assertThat(o)
                .as("every field of %s is filled", o.getClass().getSimpleName())
                .hasNoNullFieldsOrProperties();
        for (java.lang.reflect.Field f : o.getClass().getFields()) {
            if (f.getType().isPrimitive() && !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                assertThat(f.get(o))
                        .as("%s is set to a non-default value", f.getName())
                        .isNotIn(0, 0L, false);
            }
        }
    }

    @Test
    void auditRecordStateOfRelease010IsMigrated() throws Exception {
        // What the serializer's snapshot wrote in release 0.1.0: SimpleTypeSerializerSnapshot's version 3, no payload.
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeUTF(AuditRecordSerializer.Snapshot.class.getName());
        out.writeInt(3);
        TypeSerializerSnapshot<AuditRecord> old = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), NoKryoTest.class.getClassLoader());
        assertThat(AuditRecordSerializer.INSTANCE
                        .snapshotConfiguration()
                        .resolveSchemaCompatibility(old)
                        .isCompatibleAfterMigration())
                .as("the old record layout is migrated, not read as the new one")
                .isTrue();
        TypeSerializer<AuditRecord> oldLayout = old.restoreSerializer();
        assertThat(oldLayout).isInstanceOf(AuditRecordSerializer.Release010Layout.class);

        AuditRecord written = new AuditRecord();
        written.ruleTime = 1_790_000_000_123L;
        written.httpStatusCode = 200;
        written.upn = "alice@contoso.com";
        written.sourceIp = "198.51.100.7:50432"; // release 0.1.0 kept callerIpAddress as it came
        written.requestUri = "https://kv.vault.azure.net/secrets/x?api-version=7.5";
        written.shape = "azure";
        DataOutputSerializer state = new DataOutputSerializer(256);
        oldLayout.serialize(written, state);
        AuditRecord read = oldLayout.deserialize(new DataInputDeserializer(state.getCopyOfBuffer()));
        assertThat(read.upn).isEqualTo("alice@contoso.com");
        assertThat(read.requestUri)
                .as("the fields after the caller are where they were")
                .isEqualTo(written.requestUri);
        assertThat(read.shape).isEqualTo("azure");
        assertThat(read.sourceIp + " " + read.sourcePort + " " + read.sourceAddress)
                .as("the old caller value split as the parser now splits it")
                .isEqualTo("198.51.100.7 50432 null");
        assertThat(roundTrip(AuditRecordSerializer.INSTANCE, read))
                .usingRecursiveComparison()
                .isEqualTo(read);
    }

    private static <T> T roundTrip(TypeSerializer<T> serializer, T value) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    private static <T> void assertSnapshotRestoresCompatibly(TypeSerializer<T> serializer) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, serializer.snapshotConfiguration());
        TypeSerializerSnapshot<T> restored = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), NoKryoTest.class.getClassLoader());
        assertThat(serializer
                        .snapshotConfiguration()
                        .resolveSchemaCompatibility(restored)
                        .isCompatibleAsIs())
                .isTrue();
        assertThat(restored.restoreSerializer()).isEqualTo(serializer);
    }
}

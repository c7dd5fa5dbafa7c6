package io.kvwatch.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback between Kafka clients and a {@link KafkaBroker#startBehindProxy broker's second
 * listener} that can hold back requests on the wire: once {@link #holdCommits()} is called, each {@code EndTxn}
 * request (Kafka API key 26, what {@code commitTransaction()} sends) stops at the proxy, and so does everything after
 * it on that connection; {@link #holdProducerWrites()} does the same to everything producers write with. Everything
 * else passes unchanged.
 *
 * <p>That opens the window between a checkpoint completing and its Kafka transactions being committed, for as long
 * as a test needs to crash the job inside it: a client sends its commit only after Flink has completed the
 * checkpoint, and the broker never sees it. {@link #dropHeldAndPass()} closes the connections whose commit was held
 * (the commit is lost, as in the crash) and lets later traffic through.
 */
public final class TransactionCommitGate implements AutoCloseable {

    /** The request header starts with the API key; 26 is EndTxn. */
    private static final Set<Short> COMMITS = Set.of((short) 26);
    /** Everything a transactional producer writes with: Produce, InitProducerId, AddPartitionsToTxn, EndTxn. */
    private static final Set<Short> PRODUCER_WRITES = Set.of((short) 0, (short) 22, (short) 24, (short) 26);

    private static final int MAX_FRAME = 64 << 20;

    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Socket> heldConnections = new CopyOnWriteArrayList<>();
    private final AtomicInteger held = new AtomicInteger();
    private volatile int targetPort;
    private volatile Set<Short> holding = Set.of();
    private volatile boolean closed;

    private TransactionCommitGate(ServerSocket server) {
        this.server = server;
        Thread acceptor = new Thread(this::acceptLoop, "commit-gate-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on a free loopback port at once (so the broker can advertise it); forwards after {@link #forwardTo}. */
    public static TransactionCommitGate open() {
        try {
            return new TransactionCommitGate(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the commit gate", e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The broker listener to forward to, e.g. {@link KafkaBroker#proxiedListenerPort()}. */
    public void forwardTo(int brokerPort) {
        this.targetPort = brokerPort;
    }

    /** From now on, hold every EndTxn request at the proxy. */
    public void holdCommits() {
        holding = COMMITS;
    }

    /**
     * From now on, hold every request a producer writes with (records, transactions): to the job's sinks the broker
     * is unreachable, while its source keeps reading.
     */
    public void holdProducerWrites() {
        holding = PRODUCER_WRITES;
    }

    /** How many connections are stalled at a held request (with {@link #holdCommits()}: how many commits). */
    public int heldRequests() {
        return held.get();
    }

    /** Drops the held commits by closing their connections, and lets all traffic pass again. */
    public void dropHeldAndPass() {
        holding = Set.of();
        heldConnections.forEach(TransactionCommitGate::closeQuietly);
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        sockets.forEach(TransactionCommitGate::closeQuietly);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket broker = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                broker.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(broker);
                start("commit-gate-requests", () -> forwardRequests(client, broker));
                start("commit-gate-responses", () -> copy(broker, client));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("TransactionCommitGate: " + e);
                }
            }
        }
    }

    /** Client to broker, frame by frame (int32 size, then the request), holding EndTxn while told to. */
    private void forwardRequests(Socket client, Socket broker) {
        try {
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = broker.getOutputStream();
            while (true) {
                int size = in.readInt();
                if (size < 2 || size > MAX_FRAME) {
                    throw new IOException("not a Kafka request frame: size " + size);
                }
                byte[] frame = new byte[size];
                in.readFully(frame);
                if (holding.contains(ByteBuffer.wrap(frame).getShort())) {
                    // Both sockets stay open: the client waits for an answer that never comes, and nothing more
                    // from it reaches the broker; dropHeldAndPass() closes them.
                    held.incrementAndGet();
                    heldConnections.add(client);
                    heldConnections.add(broker);
                    return;
                }
                out.write(ByteBuffer.allocate(4).putInt(size).array());
                out.write(frame);
                out.flush();
            }
        } catch (IOException e) {
            closeBoth(client, broker);
        }
    }

    private static void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // one side closed
        } finally {
            closeBoth(from, to);
        }
    }

    private static void closeBoth(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
    }

    private static void start(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}

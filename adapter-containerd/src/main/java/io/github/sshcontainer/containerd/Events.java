package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.github.sshcontainer.containerd.api.events.NamespaceUpdate;
import io.github.sshcontainer.containerd.api.events.v1.Envelope;
import io.github.sshcontainer.containerd.api.events.v1.PublishRequest;
import io.github.sshcontainer.containerd.api.events.v1.EventsGrpc;
import io.github.sshcontainer.containerd.api.events.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

/**
 * containerd's event stream ({@code containerd.services.events.v1.Events/Subscribe}): every event of every namespace
 * (or those matching containerd filters, e.g. {@code namespace==default,topic~="/tasks/"}) from the moment of
 * subscribing, as long as the subscription is open. The payloads are {@code containerd.events.TaskCreate},
 * {@code TaskStart}, {@code TaskExit}, {@code TaskDelete}, {@code ContainerCreate}... ({@link Event#payload}).
 */
public final class Events {
    /** One event: when, in which namespace, its topic ({@code /tasks/exit}...) and its payload. */
    public record Event(Instant timestamp, String namespace, String topic, Any event) {
        public Event {
            Objects.requireNonNull(topic, "topic");
        }

        /** The payload's type name, e.g. {@code containerd.events.TaskExit}. */
        public String type() {
            String url = event.getTypeUrl();
            return url.substring(url.lastIndexOf('/') + 1);
        }

        /**
         * The payload as {@code type} (e.g. {@code io.github.sshcontainer.containerd.api.events.TaskExit}), or
         * empty when it is another type.
         */
        public <T extends Message> Optional<T> payload(Class<T> type) {
            // containerd's type URLs have no "type.googleapis.com/" prefix, which Any.is/unpack insist on
            T prototype = com.google.protobuf.Internal.getDefaultInstance(type);
            if (!type().equals(prototype.getDescriptorForType().getFullName())) {
                return Optional.empty();
            }
            try {
                return Optional.of(type.cast(prototype.getParserForType().parseFrom(event.getValue())));
            } catch (InvalidProtocolBufferException e) {
                return Optional.empty();
            }
        }
    }

    private final Calls calls;
    private final EventsGrpc.EventsStub async;
    private final EventsGrpc.EventsBlockingStub stub;

    Events(Calls calls) {
        this.calls = calls;
        this.async = EventsGrpc.newStub(calls.channel());
        this.stub = EventsGrpc.newBlockingStub(calls.channel());
    }

    /**
     * Subscribes to the events matching any of {@code filters} (all events without); they queue up in the returned
     * subscription until read. Returns once containerd has the subscription in place (it publishes a probe event on
     * topic {@code /ssh-container/subscribed/UUID} and waits, up to the client's deadline, until it comes back; the
     * probe is not passed on), so that everything that happens after this call is seen.
     */
    public Subscription subscribe(String... filters) throws ContainerdException {
        String probe = "/ssh-container/subscribed/" + UUID.randomUUID();
        List<String> all = new ArrayList<>(List.of(filters));
        if (!all.isEmpty()) {
            all.add("topic==\"" + probe + "\"");
        }
        Subscription s = new Subscription(probe);
        async.subscribe(SubscribeRequest.newBuilder().addAllFilters(all).build(), s);
        try {
            long until = System.nanoTime() + calls.deadline().toNanos();
            do {
                // containerd only delivers events published after the subscription is registered: repeat until one is
                calls.call("Events/Publish", () -> calls.timed(stub).publish(PublishRequest.newBuilder().setTopic(probe)
                        .setEvent(Any.newBuilder().setTypeUrl("containerd.events.NamespaceUpdate").setValue(
                                NamespaceUpdate.newBuilder().setName(calls.namespace()).build().toByteString()))
                        .build()));
            } while (!s.awaitProbe(Duration.ofMillis(200)) && System.nanoTime() < until);
            s.failIfEnded();
            if (!s.probed()) {
                throw new ContainerdException("containerd did not deliver events within " + calls.deadline(),
                        Status.Code.DEADLINE_EXCEEDED);
            }
        } catch (ContainerdException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** An open event stream; {@link #close()} cancels it. */
    public final class Subscription implements ClientResponseObserver<SubscribeRequest, Envelope>, AutoCloseable {
        private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final CountDownLatch probed = new CountDownLatch(1);
        private final String probe;
        private volatile ClientCallStreamObserver<SubscribeRequest> call;
        private volatile boolean ended;

        Subscription(String probe) {
            this.probe = probe;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
            this.call = requestStream;
        }

        boolean awaitProbe(Duration timeout) throws ContainerdException {
            try {
                return probed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerdException("interrupted while subscribing", Status.Code.CANCELLED);
            }
        }

        boolean probed() {
            return probed.getCount() == 0 && !ended;
        }

        void failIfEnded() throws ContainerdException {
            if (queue.peek() instanceof StatusRuntimeException e) {
                throw calls.failure("Events/Subscribe", e);
            }
        }

        /**
         * The next event, waiting up to {@code timeout}; empty when none came in that time.
         *
         * @throws ContainerdException when the stream failed (containerd went away, the subscription was closed)
         */
        public Optional<Event> next(Duration timeout) throws ContainerdException {
            Object o;
            try {
                o = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerdException("interrupted while waiting for an event", Status.Code.CANCELLED);
            }
            if (o == null) {
                return Optional.empty();
            }
            if (o instanceof Event e) {
                return Optional.of(e);
            }
            queue.add(o); // the end stays the end for later calls
            if (o instanceof StatusRuntimeException e) {
                throw calls.failure("Events/Subscribe", e);
            }
            throw new ContainerdException("the event stream ended", Status.Code.CANCELLED);
        }

        @Override
        public void onNext(Envelope e) {
            if (probe.equals(e.getTopic())) {
                probed.countDown();
                return;
            }
            queue.add(new Event(Instant.ofEpochSecond(e.getTimestamp().getSeconds(), e.getTimestamp().getNanos()),
                    e.getNamespace(), e.getTopic(), e.getEvent()));
        }

        @Override
        public void onError(Throwable t) {
            ended = true;
            queue.add(t instanceof StatusRuntimeException e ? e : Status.fromThrowable(t).asRuntimeException());
            probed.countDown();
        }

        @Override
        public void onCompleted() {
            ended = true;
            queue.add(Boolean.FALSE);
            probed.countDown();
        }

        /** Whether the stream has ended (closed here, or by containerd). */
        public boolean ended() {
            return ended;
        }

        /** Cancels the subscription; idempotent. */
        @Override
        public void close() {
            ClientCallStreamObserver<SubscribeRequest> c = call;
            if (c != null && !ended) {
                c.cancel("subscription closed", null);
            }
        }
    }
}

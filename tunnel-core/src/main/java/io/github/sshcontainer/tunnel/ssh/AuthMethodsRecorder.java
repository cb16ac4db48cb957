package io.github.sshcontainer.tunnel.ssh;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.apache.sshd.client.auth.UserAuth;
import org.apache.sshd.client.auth.UserAuthFactory;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * Remembers, per session, which authentication methods the server offered, which ones the client tried and which
 * one succeeded, so that a failure (or {@code ssh-container doctor}) can say "server offers publickey,password; tried
 * publickey". Wraps a client's {@link UserAuthFactory}s; the record is {@link #of(ClientSession)}.
 *
 * <pre>{@code
 * client.setUserAuthFactories(AuthMethodsRecorder.wrap(client.getUserAuthFactories()));
 * }</pre>
 */
public final class AuthMethodsRecorder {
    /** What happened during authentication of one session. */
    public static final class Record {
        private final Set<String> offered = Collections.synchronizedSet(new LinkedHashSet<>());
        private final Set<String> tried = Collections.synchronizedSet(new LinkedHashSet<>());
        private volatile String succeeded;

        /** The methods the server said may continue (empty if the first method tried succeeded). */
        public List<String> offered() {
            synchronized (offered) {
                return List.copyOf(offered);
            }
        }

        /** The methods the client tried, in order. */
        public List<String> tried() {
            synchronized (tried) {
                return List.copyOf(tried);
            }
        }

        /** The method that authenticated the session, or null. */
        public String succeeded() {
            return succeeded;
        }
    }

    private static final AttributeKey<Record> RECORD = new AttributeKey<>();

    private AuthMethodsRecorder() {
    }

    /** The record of {@code session} (an empty one if nothing was recorded). */
    public static Record of(ClientSession session) {
        Record r = session == null ? null : session.getAttribute(RECORD);
        return r == null ? new Record() : r;
    }

    /**
     * The record of {@code session}, created now if needed; keep the reference to read it after the session has
     * closed (MINA clears a closed session's attributes).
     */
    public static Record attach(ClientSession session) {
        return recordOf(session);
    }

    private static Record recordOf(ClientSession session) {
        return session.computeAttributeIfAbsent(RECORD, k -> new Record());
    }

    /** {@code factories}, each wrapped to record into the session. */
    public static List<UserAuthFactory> wrap(List<UserAuthFactory> factories) {
        List<UserAuthFactory> out = new ArrayList<>();
        for (UserAuthFactory f : factories) {
            out.add(new Factory(f));
        }
        return out;
    }

    private static final class Factory implements UserAuthFactory {
        private final UserAuthFactory delegate;

        Factory(UserAuthFactory delegate) {
            this.delegate = Objects.requireNonNull(delegate);
        }

        @Override
        public String getName() {
            return delegate.getName();
        }

        @Override
        public UserAuth createUserAuth(ClientSession session) throws java.io.IOException {
            UserAuth auth = delegate.createUserAuth(session);
            return auth == null ? null : new Recording(auth);
        }
    }

    private static final class Recording implements UserAuth {
        private final UserAuth delegate;

        Recording(UserAuth delegate) {
            this.delegate = delegate;
        }

        @Override
        public String getName() {
            return delegate.getName();
        }

        @Override
        public ClientSession getClientSession() {
            return delegate.getClientSession();
        }

        @Override
        public ClientSession getSession() {
            return delegate.getSession();
        }

        @Override
        public void init(ClientSession session, String service) throws Exception {
            recordOf(session).tried.add(getName());
            delegate.init(session, service);
        }

        @Override
        public boolean process(Buffer buffer) throws Exception {
            return delegate.process(buffer);
        }

        @Override
        public void signalAuthMethodSuccess(ClientSession session, String service, Buffer buffer) throws Exception {
            recordOf(session).succeeded = getName();
            delegate.signalAuthMethodSuccess(session, service, buffer);
        }

        @Override
        public void signalAuthMethodFailure(ClientSession session, String service, boolean partial,
                List<String> serverMethods, Buffer buffer) throws Exception {
            if (serverMethods != null) {
                recordOf(session).offered.addAll(serverMethods);
            }
            delegate.signalAuthMethodFailure(session, service, partial, serverMethods, buffer);
        }

        @Override
        public boolean isCancellable() {
            return delegate.isCancellable();
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }
    }
}

// Types of `env` and `exports` from "cloudflare:workers" in tests that run inside workerd.
declare namespace Cloudflare {
  interface Env {
    FLOW: DurableObjectNamespace<import('../src/objects/flow-object.js').FlowObject>;
    AOR: DurableObjectNamespace<import('../src/objects/aor-object.js').AorObject>;
    METRICS: DurableObjectNamespace<import('../src/objects/metrics-object.js').MetricsObject>;
    GB_DIRECTORY: DurableObjectNamespace<import('../src/objects/gb-directory-object.js').GbDirectoryObject>;
    GUARD: DurableObjectNamespace<import('../src/objects/guard-object.js').GuardObject>;
    USER_DIRECTORY: DurableObjectNamespace<import('../src/objects/user-directory-object.js').UserDirectoryObject>;
  }
  interface GlobalProps {
    mainModule: typeof import('../src/index.js');
    durableNamespaces: 'FlowObject' | 'AorObject' | 'MetricsObject' | 'GbDirectoryObject' | 'GuardObject' | 'UserDirectoryObject';
  }
}

// Vite's `?raw` imports: the file's text.
declare module '*?raw' {
  const text: string;
  export default text;
}

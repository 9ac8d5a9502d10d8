// The explicit-resource-management declarations that dynastore's public types use (`Lease`,
// `Leadership` and `LocalDynamo` are `AsyncDisposable`), declared here so that a consumer's
// compile needs neither the `esnext.disposable` lib nor `@types/node` (TypeScript 7 includes no
// `@types` package by default). They are the standard library's own declarations, so they merge
// with it (and with `@types/node`'s identical ones) where those are present. Imported for its
// types only; it has no runtime content.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
  interface AsyncDisposable {
    [Symbol.asyncDispose](): PromiseLike<void>;
  }
}

export {};

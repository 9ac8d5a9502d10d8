/** The `name` and `exports` of a package.json. */
export interface PackageExports {
  readonly name: string;
  readonly exports: Readonly<Record<string, unknown>>;
}

/** Each public import specifier of the package and the source file it is built from. */
export declare function entryPoints(pkg: PackageExports): Record<string, string>;

/** The entry points of the package.json at `url`. */
export declare function entryPointsOf(url: URL): Record<string, string>;

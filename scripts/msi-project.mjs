// electron-builder's msiProjectCreated hook (electron-builder.yml): electron-builder writes the MSI's
// WiX project from its own fixed template, which has no place for installer properties, then calls
// this with the project file's path before compiling it. This adds, in place:
//   ISSUER, CLIENT_ID   the fleet policy's Issuer and ClientId values under
//                       HKLM\SOFTWARE\Policies\FieldKey (the registry FieldKey reads, the same values
//                       the ADMX writes), each only when given;
//   POLICY_FILE         a policy file on the target machine (full path) copied to
//                       %ProgramData%\FieldKey\policy.json, the folder made writable by SYSTEM and
//                       Administrators only (read and execute for Users);
//   DESKTOP_SHORTCUT    "1" (default) puts a FieldKey shortcut on the public desktop, "0" does not.
// The policy components are permanent: an upgrade or uninstall without the properties leaves the
// machine's policy as it is (IT removes it: docs/deploy.md). Errors carry a stable `code`
// (msi_project_unexpected) when the project is not what electron-builder's template writes.
import { readFile, writeFile } from 'node:fs/promises';

/** The public properties IT may set on the msiexec command line. */
export const MSI_PROPERTIES = ['ISSUER', 'CLIENT_ID', 'POLICY_FILE', 'DESKTOP_SHORTCUT'];

/** Folder ACL for %ProgramData%\FieldKey: protected; SYSTEM and Administrators full, Users read and execute. */
export const POLICY_FOLDER_SDDL = 'D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)';

const REGISTRY_KEY = 'SOFTWARE\\Policies\\FieldKey';

function unexpected(what) {
  return Object.assign(
    new Error(
      `The MSI project is not what electron-builder's template writes: ${what}. Check scripts/msi-project.mjs against this electron-builder version.`,
    ),
    {
      code: 'msi_project_unexpected',
    },
  );
}

/** `text` with `insert` placed once after (or before) `anchor`; throws when the anchor is not there exactly once. */
function insertAt(text, anchor, insert, where) {
  const at = text.indexOf(anchor);
  if (at < 0 || text.indexOf(anchor, at + 1) >= 0) throw unexpected(`expected exactly one ${anchor}`);
  const cut = where === 'after' ? at + anchor.length : at;
  return text.slice(0, cut) + insert + text.slice(cut);
}

/** The WiX project with FieldKey's install-time properties; the shortcut is named after the product. */
export function addInstallOptions(wxs) {
  if (wxs.includes('Id="desktopShortcut"')) throw unexpected('it already has a desktop shortcut (set msi.createDesktopShortcut to false)');
  if (!wxs.includes('Id="mainExecutable"')) throw unexpected('no File with Id="mainExecutable"');
  const productName = /<Product\b[^>]*\sName="([^"]+)"/.exec(wxs)?.[1];
  if (!productName) throw unexpected('no <Product Name="...">');
  const properties = [
    '',
    '    <!-- FieldKey install-time options (scripts/msi-project.mjs) -->',
    '    <Property Id="ISSUER" Secure="yes"/>',
    '    <Property Id="CLIENT_ID" Secure="yes"/>',
    '    <Property Id="POLICY_FILE" Secure="yes"/>',
    '    <Property Id="DESKTOP_SHORTCUT" Value="1" Secure="yes"/>',
  ].join('\n');
  const directories = [
    '',
    '      <Directory Id="CommonAppDataFolder">',
    '        <Directory Id="FIELDKEYPROGRAMDATA" Name="FieldKey"/>',
    '      </Directory>',
    ...(wxs.includes('<Directory Id="DesktopFolder"') ? [] : ['      <Directory Id="DesktopFolder" Name="Desktop"/>']),
  ].join('\n');
  const registryComponent = (id, property, name) =>
    [
      `      <Component Id="${id}" Directory="APPLICATIONFOLDER" Permanent="yes">`,
      `        <Condition>${property}</Condition>`,
      `        <RegistryValue Root="HKLM" Key="${REGISTRY_KEY}" Name="${name}" Type="string" Value="[${property}]" KeyPath="yes"/>`,
      '      </Component>',
    ].join('\n');
  const components = [
    '',
    '    <ComponentGroup Id="FieldKeyInstallOptions">',
    registryComponent('policyIssuer', 'ISSUER', 'Issuer'),
    registryComponent('policyClientId', 'CLIENT_ID', 'ClientId'),
    '      <Component Id="policyFile" Directory="FIELDKEYPROGRAMDATA" Permanent="yes">',
    '        <Condition>POLICY_FILE</Condition>',
    '        <CreateFolder>',
    `          <PermissionEx Sddl="${POLICY_FOLDER_SDDL}"/>`,
    '        </CreateFolder>',
    '        <CopyFile Id="policyFileCopy" SourceProperty="POLICY_FILE" DestinationDirectory="FIELDKEYPROGRAMDATA" DestinationName="policy.json"/>',
    '      </Component>',
    '      <Component Id="desktopShortcut" Directory="APPLICATIONFOLDER">',
    '        <Condition>DESKTOP_SHORTCUT = "1"</Condition>',
    `        <Shortcut Id="desktopShortcut" Directory="DesktopFolder" Name="${productName}" Target="[#mainExecutable]" WorkingDirectory="APPLICATIONFOLDER"/>`,
    `        <RegistryValue Root="HKLM" Key="SOFTWARE\\${productName}\\Installer" Name="DesktopShortcut" Type="integer" Value="1" KeyPath="yes"/>`,
    '      </Component>',
    '    </ComponentGroup>',
    '',
  ].join('\n');
  let out = insertAt(wxs, '<Property Id="DISABLEADVTSHORTCUTS" Value="1"/>', properties, 'after');
  out = insertAt(out, '<Directory Id="TARGETDIR" Name="SourceDir">', directories, 'after');
  out = insertAt(out, '<ComponentGroupRef Id="ProductComponents"/>', '\n      <ComponentGroupRef Id="FieldKeyInstallOptions"/>', 'after');
  out = insertAt(out, '  </Product>', components, 'before');
  return out;
}

/** The hook: rewrites the project file electron-builder wrote. */
export async function msiProjectCreated(projectFile) {
  await writeFile(projectFile, addInstallOptions(await readFile(projectFile, 'utf8')));
}

export default msiProjectCreated;
